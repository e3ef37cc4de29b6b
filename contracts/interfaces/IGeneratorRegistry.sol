// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGeneratorErrors, INodeErrors} from "./IGridSwapErrors.sol";

/// @title Registry of generators allowed to trade adjustment: grid node, meter key and capacity of each.
/// @notice The grid operator (REGISTRAR_ROLE, a key of its own: it holds no other GridSwap right)
///         registers a generator's wallet at a node (a bus number of the case), binds the key of
///         its revenue meter and records its registered output capacity. The kWh token issues
///         adjustment capacity only to registered wallets, the market lets only them fill offers
///         for their node and bounds each one's nomination (its baseline) by its capacity, and
///         the oracle accepts a generator's dispute only with a reading signed by its bound meter
///         key. A meter key is bound to exactly ONE generator: whoever reads a signed reading
///         knows whose it is, and no reading can be credited to two wallets.
///         Every registration gets a new index (1, 2, 3, …; never reused): the oracle keys its
///         one-measurement-per-generator-and-period bitmap by it.
///         The facts of a generator sit in one storage slot, so a lookup costs one SLOAD.
///         Units: capacity in watts (W).
interface IGeneratorRegistry is IGeneratorErrors, INodeErrors {
    /// @notice `generator` was registered at grid node `node` with meter key `meterKey`, output
    ///         capacity `capacityW` (W) and index `index`.
    event GeneratorRegistered(
        address indexed generator,
        uint32 indexed node,
        address meterKey,
        uint32 capacityW,
        uint32 index
    );
    /// @notice The meter key bound to `generator` changed to `meterKey`.
    event MeterKeyChanged(address indexed generator, address meterKey);
    /// @notice The registered output capacity of `generator` changed to `capacityW` (W).
    event CapacityChanged(address indexed generator, uint32 capacityW);
    /// @notice `generator` is no longer registered (it was at `node`); its meter key is free again.
    event GeneratorDeregistered(address indexed generator, uint32 indexed node);

    /// @notice The zero address cannot be a meter key.
    error ZeroMeterKey();
    /// @notice A generator's registered capacity must be above 0 W.
    error ZeroCapacity();
    /// @notice `generator` is already registered (at `node`).
    error AlreadyRegistered(address generator, uint32 node);
    /// @notice `generator` is not registered.
    error NotRegistered(address generator);
    /// @notice `meterKey` is already bound to `generator`: one meter key per generator.
    error MeterKeyInUse(address meterKey, address generator);

    /// @notice Registers `generator` at grid node `node`, its meter signing with `meterKey`, with
    ///         output capacity `capacityW` (W, up to 4.29 GW), under the next index. Only REGISTRAR_ROLE.
    function register(address generator, uint32 node, address meterKey, uint32 capacityW) external;

    /// @notice Binds a new meter key to registered `generator` (meter replaced); the old key is
    ///         freed. Only REGISTRAR_ROLE.
    function setMeterKey(address generator, address meterKey) external;

    /// @notice Sets the registered output capacity of `generator`, W. Only REGISTRAR_ROLE.
    function setCapacity(address generator, uint32 capacityW) external;

    /// @notice Removes `generator` and frees its meter key (its index is never given again; a new
    ///         registration of the wallet gets a new one). Only REGISTRAR_ROLE. Commitments and
    ///         balances it already holds are unaffected; it can no longer fill offers, receive
    ///         new kWh or dispute.
    function deregister(address generator) external;

    /// @notice The node of `generator`, 0 when it is not registered.
    function nodeOf(address generator) external view returns (uint32 node);

    /// @notice The meter key of `generator`, zero when it is not registered.
    function meterKeyOf(address generator) external view returns (address meterKey);

    /// @notice Every fact in one read: node (0 = not registered), meter key, capacity (W) and index.
    function generatorOf(
        address generator
    ) external view returns (uint32 node, address meterKey, uint32 capacityW, uint32 index);

    /// @notice How many registrations there have been (the last index given).
    function registrations() external view returns (uint32);

    /// @notice The generator `meterKey` is bound to, zero when none.
    function generatorOfMeter(address meterKey) external view returns (address generator);
}
