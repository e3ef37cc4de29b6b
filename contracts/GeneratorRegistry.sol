// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";

/// @title Registry of generator wallets: grid node and meter key of each, in one slot.
/// @notice See IGeneratorRegistry. The grid operator holds REGISTRAR_ROLE; DEFAULT_ADMIN_ROLE
///         (another account) only grants and revokes it.
contract GeneratorRegistry is IGeneratorRegistry, AccessControl {
    /// @notice May register and deregister generators and bind their meter keys.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @dev One slot per generator: 4 bytes of node + 20 bytes of meter key.
    struct Entry {
        uint32 node;
        address meterKey;
    }

    mapping(address generator => Entry) private _entries;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE).
    /// @param registrar Receives REGISTRAR_ROLE.
    constructor(address admin, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /// @inheritdoc IGeneratorRegistry
    function register(address generator, uint32 node, address meterKey) external onlyRole(REGISTRAR_ROLE) {
        if (generator == address(0)) revert ZeroGenerator();
        if (node == 0) revert ZeroNode();
        if (meterKey == address(0)) revert ZeroMeterKey();
        uint32 current = _entries[generator].node;
        if (current != 0) revert AlreadyRegistered(generator, current);
        _entries[generator] = Entry(node, meterKey);
        emit GeneratorRegistered(generator, node, meterKey);
    }

    /// @inheritdoc IGeneratorRegistry
    function setMeterKey(address generator, address meterKey) external onlyRole(REGISTRAR_ROLE) {
        if (meterKey == address(0)) revert ZeroMeterKey();
        Entry storage entry = _entries[generator];
        if (entry.node == 0) revert NotRegistered(generator);
        entry.meterKey = meterKey;
        emit MeterKeyChanged(generator, meterKey);
    }

    /// @inheritdoc IGeneratorRegistry
    function deregister(address generator) external onlyRole(REGISTRAR_ROLE) {
        uint32 node = _entries[generator].node;
        if (node == 0) revert NotRegistered(generator);
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
    function generatorOf(address generator) external view returns (uint32 node, address meterKey) {
        Entry storage entry = _entries[generator];
        return (entry.node, entry.meterKey);
    }
}
