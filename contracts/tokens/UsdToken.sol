// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title USD settlement token of the demand-response market.
/// @notice 8 decimals (1 unit = 1e-8 USD), so the paper's 0.25266763 USD is exactly 25,266,763
///         units. Minted by the treasury (TREASURY_ROLE); transfers and ERC-2612 permits as usual.
contract UsdToken is ERC20, ERC20Permit, AccessControl {
    /// @notice May mint USD tokens.
    bytes32 public constant TREASURY_ROLE = keccak256("TREASURY_ROLE");

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants TREASURY_ROLE; mints nothing itself).
    /// @param treasury Receives TREASURY_ROLE.
    constructor(address admin, address treasury) ERC20("GridSwap USD", "gUSD") ERC20Permit("GridSwap USD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(TREASURY_ROLE, treasury);
    }

    /// @notice 8: amounts are in 1e-8 USD.
    function decimals() public pure override returns (uint8) {
        return 8;
    }

    /// @notice Mints `amount` (1e-8 USD units) to `to`. Only TREASURY_ROLE.
    function mint(address to, uint256 amount) external onlyRole(TREASURY_ROLE) {
        _mint(to, amount);
    }
}
