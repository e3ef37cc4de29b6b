// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Test-only ERC-20 with a blocklist, like USDC's (finding GS-09).
/// @notice Not deployed outside tests. Any transfer from or to a blocklisted address reverts.
contract BlocklistToken is ERC20 {
    /// @notice Addresses that can neither send nor receive.
    mapping(address account => bool) public blocked;

    /// @notice `account` is blocklisted.
    error Blocklisted(address account);

    constructor(uint8 decimals_) ERC20("Blocklist token", "BLK") {
        _decimals = decimals_;
    }

    uint8 private immutable _decimals;

    /// @notice The decimals given at construction.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to` (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blocks or unblocks `account` (test only).
    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert Blocklisted(from);
        if (blocked[to]) revert Blocklisted(to);
        super._update(from, to, value);
    }
}
