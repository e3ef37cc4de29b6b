// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {GridSwapMath} from "../libraries/GridSwapMath.sol";

/// @title Test-only wrapper exposing GridSwapMath to the property tests (never deployed otherwise).
contract GridSwapMathHarness {
    /// @notice GridSwapMath.paymentDown.
    function paymentDown(uint128 usd, uint64 fillWh, uint64 amountWh) external pure returns (uint128) {
        return GridSwapMath.paymentDown(usd, fillWh, amountWh);
    }

    /// @notice GridSwapMath.settle.
    function settle(
        uint64 amountWh,
        uint128 usd,
        uint64 committedBeforeWh,
        int64 measuredWh,
        bool increase,
        uint256 minDeliveredBps,
        uint256 penaltyBps
    ) external pure returns (GridSwapMath.Outcome memory) {
        return GridSwapMath.settle(amountWh, usd, committedBeforeWh, measuredWh, increase, minDeliveredBps, penaltyBps);
    }

    /// @notice GridSwapMath.periodOf.
    function periodOf(uint256 timestamp, uint256 periodSeconds) external pure returns (uint32) {
        return GridSwapMath.periodOf(timestamp, periodSeconds);
    }

    /// @notice GridSwapMath.periodStart.
    function periodStart(uint32 period, uint256 periodSeconds) external pure returns (uint256) {
        return GridSwapMath.periodStart(period, periodSeconds);
    }
}
