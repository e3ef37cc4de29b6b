// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Test-only ERC-20 that burns a fee on every transfer (finding GS-09).
/// @notice Not deployed outside tests. The recipient receives `value` less `feeBps`/10,000 of it;
///         the fee is burnt. 8 decimals, like the USD token it stands in for.
contract FeeOnTransferToken is ERC20 {
    /// @notice Fee per transfer, basis points of the amount.
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee USD", "fUSD") {
        feeBps = feeBps_;
    }

    /// @notice 8, as the USD token.
    function decimals() public pure override returns (uint8) {
        return 8;
    }

    /// @notice Mints `amount` to `to` (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = (value * feeBps) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
