// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IGeneratorRegistry} from "../interfaces/IGeneratorRegistry.sol";

/// @title kWh-adjustment token: a generator's capacity to adjust its output, traded for USD.
/// @notice 3 decimals (1 unit = 1 Wh). The grid operator (ISSUER_ROLE) issues capacity only to
///         generators registered in the registry — MultiChain's `issue`/`issuemore` in the paper.
///         Once issued, tokens move freely (the centre receives them at settlement).
contract KwhToken is ERC20, ERC20Permit, AccessControl {
    /// @notice May issue adjustment capacity to registered generators.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @notice Registry of generators that may receive newly issued capacity.
    IGeneratorRegistry public immutable registry;

    /// @notice `generator` is not registered, so it cannot be issued capacity.
    error NotRegisteredGenerator(address generator);

    /// @notice Adjustment capacity of `amountWh` Wh was issued to `generator` (registered at `node`).
    event CapacityIssued(address indexed generator, uint32 indexed node, uint256 amountWh);

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants ISSUER_ROLE; issues nothing itself).
    /// @param issuer Receives ISSUER_ROLE.
    /// @param registry_ The generator registry.
    constructor(
        address admin,
        address issuer,
        IGeneratorRegistry registry_
    ) ERC20("GridSwap kWh adjustment", "gKWH") ERC20Permit("GridSwap kWh adjustment") {
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, issuer);
    }

    /// @notice 3: amounts are in Wh.
    function decimals() public pure override returns (uint8) {
        return 3;
    }

    /// @notice Issues `amountWh` Wh of adjustment capacity to registered `generator`. Only ISSUER_ROLE.
    function issue(address generator, uint256 amountWh) external onlyRole(ISSUER_ROLE) {
        uint32 node = registry.nodeOf(generator);
        if (node == 0) revert NotRegisteredGenerator(generator);
        _mint(generator, amountWh);
        emit CapacityIssued(generator, node, amountWh);
    }
}
