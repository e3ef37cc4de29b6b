// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title GridSwap's fixed-point arithmetic: escrow of a fill, credited delivery, graduated settlement, periods.
/// @notice Units: USD in 1e-8 USD, energy in Wh, fractions in basis points (10,000 = 100 %),
///         times in Unix seconds. Every division's rounding is in the function's name or stated:
///         payments round down (nobody is paid for a fraction of a unit that was not delivered),
///         penalties round up (against the party that fell short).
///         The TypeScript mirror (oracle/chain/units.ts) is checked against this library by a
///         property test through contracts/test/GridSwapMathHarness.sol.
library GridSwapMath {
    /// @notice 100 % in basis points.
    uint256 internal constant BPS = 10_000;

    /// @notice What one settlement of a generator's commitment moves (see IDemandResponseMarket.Settlement).
    struct Outcome {
        uint64 deliveredWh;
        uint64 paidWh;
        uint64 penaltyWh;
        uint128 usdToGenerator;
    }

    /// @notice ⌊usd · part / whole⌋. Needs part ≤ whole (so the result ≤ usd) and whole > 0.
    function paymentDown(uint128 usd, uint64 part, uint64 whole) internal pure returns (uint128) {
        // usd < 2^128 and part < 2^64: the product fits in 256 bits; the quotient ≤ usd.
        return uint128((uint256(usd) * part) / whole);
    }

    /// @notice USD escrowed by a fill of `takenWh` after `filledBeforeWh` of an offer of `amountWh`
    ///         priced `usd` in total: ⌊usd · (before + taken) / amount⌋ − ⌊usd · before / amount⌋.
    ///         Cumulative, so the fills of one offer escrow exactly `usd` together however it is
    ///         cut. Needs filledBeforeWh + takenWh ≤ amountWh and amountWh > 0.
    function fillPayment(
        uint128 usd,
        uint64 filledBeforeWh,
        uint64 takenWh,
        uint64 amountWh
    ) internal pure returns (uint128) {
        // before + taken ≤ amount < 2^64: no overflow in uint256; the difference is ≥ 0 (monotone).
        return
            paymentDown(usd, uint64(uint256(filledBeforeWh) + takenWh), amountWh) -
            paymentDown(usd, filledBeforeWh, amountWh);
    }

    /// @notice The delivery credited to a generator's commitment, Wh, signed (+ = output raised):
    ///         the oracle's measured delivery, except that against a Nominated baseline the
    ///         baseline counted is never more favourable to the generator than its own nomination
    ///         (for an increase the higher of the two, for a decrease the lower).
    /// @param nominated True when the commitment's baseline is the generator's nomination.
    /// @param nominatedWh The generator's nomination for the period, Wh.
    /// @param actualWh Metered energy, Wh (the oracle's record).
    /// @param measuredWh The oracle's delivered energy, Wh = actualWh − its baseline.
    /// @param increase True when the commitment is to raise output.
    function creditedDelivery(
        bool nominated,
        int64 nominatedWh,
        int64 actualWh,
        int64 measuredWh,
        bool increase
    ) internal pure returns (int256) {
        if (!nominated) return measuredWh;
        // int256: sums and differences of int64 values cannot overflow.
        int256 reportedBaseline = int256(actualWh) - int256(measuredWh);
        int256 baseline = increase
            ? _max(reportedBaseline, int256(nominatedWh))
            : _min(reportedBaseline, int256(nominatedWh));
        return int256(actualWh) - baseline;
    }

    /// @notice Graduated settlement of a generator's whole commitment in one period.
    /// @param committedWh Wh committed (every fill of the period together), > 0.
    /// @param usd Payment escrowed for full delivery, 1e-8 USD.
    /// @param creditedWh Delivery credited, Wh, signed (+ = output raised): creditedDelivery.
    /// @param increase True when the commitment is to raise output.
    /// @param minDeliveredBps Fraction of the commitment below which nothing is paid.
    /// @param penaltyBps Part of the shortfall's commitment forfeited to the centre, rounded up.
    function settle(
        uint64 committedWh,
        uint128 usd,
        int256 creditedWh,
        bool increase,
        uint256 minDeliveredBps,
        uint256 penaltyBps
    ) internal pure returns (Outcome memory o) {
        int256 inDirection = increase ? creditedWh : -creditedWh;
        if (inDirection >= int256(uint256(committedWh))) o.deliveredWh = committedWh;
        else if (inDirection > 0) o.deliveredWh = uint64(uint256(inDirection));
        // deliveredWh · 10^4 and committedWh · bps are below 2^78: no overflow in uint256.
        if (uint256(o.deliveredWh) * BPS >= uint256(committedWh) * minDeliveredBps) o.paidWh = o.deliveredWh;
        // paidWh ≤ committedWh: the shortfall cannot underflow; penalty ≤ shortfall when bps ≤ 10^4.
        o.penaltyWh = uint64(ceilDiv(uint256(committedWh - o.paidWh) * penaltyBps, BPS));
        o.usdToGenerator = paymentDown(usd, o.paidWh, committedWh);
    }

    /// @notice ⌈a / b⌉ for b > 0.
    function ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /// @notice The period containing `timestamp`: ⌊timestamp / periodSeconds⌋.
    function periodOf(uint256 timestamp, uint256 periodSeconds) internal pure returns (uint32) {
        uint256 period = timestamp / periodSeconds;
        if (period > type(uint32).max) revert PeriodOverflow(timestamp);
        return uint32(period);
    }

    /// @notice First second of `period`: period · periodSeconds.
    function periodStart(uint32 period, uint256 periodSeconds) internal pure returns (uint256) {
        return uint256(period) * periodSeconds;
    }

    function _max(int256 a, int256 b) private pure returns (int256) {
        return a > b ? a : b;
    }

    function _min(int256 a, int256 b) private pure returns (int256) {
        return a < b ? a : b;
    }

    /// @notice `timestamp` is beyond the last period a uint32 can number.
    error PeriodOverflow(uint256 timestamp);
}
