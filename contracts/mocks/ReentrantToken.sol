// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Test-only ERC-20 that calls back into a contract during transfers (reentrancy tests).
/// @notice Not deployed outside tests. When armed, every transfer and transferFrom first calls
///         `callee` with `payload` once and records whether that call reverted.
contract ReentrantToken is ERC20 {
    address public callee;
    bytes public payload;
    bool public armed;
    bool public lastCallReverted;
    bytes public lastRevertData;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Mints `amount` to `to` (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms a one-shot callback of `callee` with `payload` on the next transfer.
    function arm(address callee_, bytes calldata payload_) external {
        callee = callee_;
        payload = payload_;
        armed = true;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        _callBack();
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _callBack();
        return super.transferFrom(from, to, value);
    }

    function _callBack() private {
        if (!armed) return;
        armed = false;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory data) = callee.call(payload);
        lastCallReverted = !ok;
        lastRevertData = data;
    }
}
