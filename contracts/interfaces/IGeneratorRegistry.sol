// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Registry of generators allowed to trade adjustment: grid node and meter key of each.
/// @notice The grid operator (REGISTRAR_ROLE, a key of its own: it holds no other GridSwap right)
///         registers a generator's wallet at a node (a bus number of the case) and binds the key
///         of its revenue meter. The kWh token issues adjustment capacity only to registered
///         wallets, the market lets only them fill offers for their node, and the oracle accepts
///         a generator's dispute only with a reading signed by its bound meter key.
///         Both facts of a generator sit in one storage slot, so a lookup costs one SLOAD.
interface IGeneratorRegistry {
    /// @notice `generator` was registered at grid node `node` with meter key `meterKey`.
    event GeneratorRegistered(address indexed generator, uint32 indexed node, address meterKey);
    /// @notice The meter key bound to `generator` changed to `meterKey`.
    event MeterKeyChanged(address indexed generator, address meterKey);
    /// @notice `generator` is no longer registered (it was at `node`).
    event GeneratorDeregistered(address indexed generator, uint32 indexed node);

    /// @notice The zero address cannot be a generator.
    error ZeroGenerator();
    /// @notice Node 0 is not a bus number.
    error ZeroNode();
    /// @notice The zero address cannot be a meter key.
    error ZeroMeterKey();
    /// @notice `generator` is already registered (at `node`).
    error AlreadyRegistered(address generator, uint32 node);
    /// @notice `generator` is not registered.
    error NotRegistered(address generator);

    /// @notice Registers `generator` at grid node `node`, its meter signing with `meterKey`.
    ///         Only REGISTRAR_ROLE.
    function register(address generator, uint32 node, address meterKey) external;

    /// @notice Binds a new meter key to registered `generator` (meter replaced). Only REGISTRAR_ROLE.
    function setMeterKey(address generator, address meterKey) external;

    /// @notice Removes `generator`. Only REGISTRAR_ROLE. Positions and balances it already holds
    ///         are unaffected; it can no longer fill offers, receive new kWh or dispute.
    function deregister(address generator) external;

    /// @notice The node of `generator`, 0 when it is not registered.
    function nodeOf(address generator) external view returns (uint32 node);

    /// @notice The meter key of `generator`, zero when it is not registered.
    function meterKeyOf(address generator) external view returns (address meterKey);

    /// @notice Both facts in one read: node (0 = not registered) and meter key.
    function generatorOf(address generator) external view returns (uint32 node, address meterKey);
}
