// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";

/// @title Registry of generator wallets: grid node, meter key, capacity and index of each, in one slot.
/// @notice See IGeneratorRegistry. The grid operator holds REGISTRAR_ROLE; DEFAULT_ADMIN_ROLE
///         (another account) only grants and revokes it.
contract GeneratorRegistry is IGeneratorRegistry, AccessControl {
    /// @notice May register and deregister generators, bind their meter keys and set capacities.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @dev One slot per generator: node (4 bytes) + meter key (20) + capacity in W (4) + index (4).
    struct Entry {
        uint32 node;
        address meterKey;
        uint32 capacityW;
        uint32 index;
    }

    mapping(address generator => Entry) private _entries;
    mapping(address meterKey => address generator) private _meterOwner;
    uint32 private _registrations;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE).
    /// @param registrar Receives REGISTRAR_ROLE.
    constructor(address admin, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /// @inheritdoc IGeneratorRegistry
    function register(
        address generator,
        uint32 node,
        address meterKey,
        uint32 capacityW
    ) external onlyRole(REGISTRAR_ROLE) {
        if (generator == address(0)) revert ZeroGenerator();
        if (node == 0) revert ZeroNode();
        if (capacityW == 0) revert ZeroCapacity();
        uint32 current = _entries[generator].node;
        if (current != 0) revert AlreadyRegistered(generator, current);
        _bindMeter(generator, meterKey);
        uint32 index = ++_registrations;
        _entries[generator] = Entry(node, meterKey, capacityW, index);
        emit GeneratorRegistered(generator, node, meterKey, capacityW, index);
    }

    /// @inheritdoc IGeneratorRegistry
    function setMeterKey(address generator, address meterKey) external onlyRole(REGISTRAR_ROLE) {
        Entry storage entry = _registered(generator);
        // Free the old key first, so that binding the same key again keeps it bound.
        delete _meterOwner[entry.meterKey];
        _bindMeter(generator, meterKey);
        entry.meterKey = meterKey;
        emit MeterKeyChanged(generator, meterKey);
    }

    /// @inheritdoc IGeneratorRegistry
    function setCapacity(address generator, uint32 capacityW) external onlyRole(REGISTRAR_ROLE) {
        if (capacityW == 0) revert ZeroCapacity();
        _registered(generator).capacityW = capacityW;
        emit CapacityChanged(generator, capacityW);
    }

    /// @inheritdoc IGeneratorRegistry
    function deregister(address generator) external onlyRole(REGISTRAR_ROLE) {
        Entry storage entry = _registered(generator);
        uint32 node = entry.node;
        delete _meterOwner[entry.meterKey];
        delete _entries[generator];
        emit GeneratorDeregistered(generator, node);
    }

    /// @inheritdoc IGeneratorRegistry
    function nodeOf(address generator) external view returns (uint32) {
        return _entries[generator].node;
    }

    /// @inheritdoc IGeneratorRegistry
    function meterKeyOf(address generator) external view returns (address) {
        return _entries[generator].meterKey;
    }

    /// @inheritdoc IGeneratorRegistry
    function generatorOf(
        address generator
    ) external view returns (uint32 node, address meterKey, uint32 capacityW, uint32 index) {
        Entry storage entry = _entries[generator];
        return (entry.node, entry.meterKey, entry.capacityW, entry.index);
    }

    /// @inheritdoc IGeneratorRegistry
    function registrations() external view returns (uint32) {
        return _registrations;
    }

    /// @inheritdoc IGeneratorRegistry
    function generatorOfMeter(address meterKey) external view returns (address) {
        return _meterOwner[meterKey];
    }

    function _registered(address generator) private view returns (Entry storage entry) {
        entry = _entries[generator];
        if (entry.node == 0) revert NotRegistered(generator);
    }

    /// @dev Binds `meterKey` to `generator`; refuses the zero key and a key bound to another generator.
    function _bindMeter(address generator, address meterKey) private {
        if (meterKey == address(0)) revert ZeroMeterKey();
        address owner = _meterOwner[meterKey];
        if (owner != address(0) && owner != generator) revert MeterKeyInUse(meterKey, owner);
        _meterOwner[meterKey] = generator;
    }
}
