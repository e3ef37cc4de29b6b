// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {GridSwapMath} from "../libraries/GridSwapMath.sol";

/// @title Test-only wrapper exposing GridSwapMath to the property tests (never deployed otherwise).
contract GridSwapMathHarness {
    /// @notice GridSwapMath.paymentDown.
    function paymentDown(uint128 usd, uint64 part, uint64 whole) external pure returns (uint128) {
        return GridSwapMath.paymentDown(usd, part, whole);
    }

    /// @notice GridSwapMath.fillPayment.
    function fillPayment(
        uint128 usd,
        uint64 filledBeforeWh,
        uint64 takenWh,
        uint64 amountWh
    ) external pure returns (uint128) {
        return GridSwapMath.fillPayment(usd, filledBeforeWh, takenWh, amountWh);
    }

    /// @notice GridSwapMath.creditedDelivery.
    function creditedDelivery(
        bool nominated,
        int64 nominatedWh,
        int64 actualWh,
        int64 measuredWh,
        bool increase
    ) external pure returns (int256) {
        return GridSwapMath.creditedDelivery(nominated, nominatedWh, actualWh, measuredWh, increase);
    }

    /// @notice GridSwapMath.settle.
    function settle(
        uint64 committedWh,
        uint128 usd,
        int256 creditedWh,
        bool increase,
        uint256 minDeliveredBps,
        uint256 penaltyBps
    ) external pure returns (GridSwapMath.Outcome memory) {
        return GridSwapMath.settle(committedWh, usd, creditedWh, increase, minDeliveredBps, penaltyBps);
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
