// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";

/// @title Registry of generator wallets and their grid nodes.
/// @notice See IGeneratorRegistry. The grid operator holds REGISTRAR_ROLE.
contract GeneratorRegistry is IGeneratorRegistry, AccessControl {
    /// @notice May register and deregister generators.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IGeneratorRegistry
    mapping(address generator => uint32 node) public nodeOf;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and REGISTRAR_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    /// @inheritdoc IGeneratorRegistry
    function register(address generator, uint32 node) external onlyRole(REGISTRAR_ROLE) {
        if (generator == address(0)) revert ZeroGenerator();
        if (node == 0) revert ZeroNode();
        uint32 current = nodeOf[generator];
        if (current != 0) revert AlreadyRegistered(generator, current);
        nodeOf[generator] = node;
        emit GeneratorRegistered(generator, node);
    }

    /// @inheritdoc IGeneratorRegistry
    function deregister(address generator) external onlyRole(REGISTRAR_ROLE) {
        uint32 node = nodeOf[generator];
        if (node == 0) revert NotRegistered(generator);
        delete nodeOf[generator];
        emit GeneratorDeregistered(generator, node);
    }
}
