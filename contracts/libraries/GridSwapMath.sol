// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title GridSwap's fixed-point arithmetic: payment of a fill, graduated settlement, periods.
/// @notice Units: USD in 1e-8 USD, energy in Wh, fractions in basis points (10,000 = 100 %),
///         times in Unix seconds. Every division rounds down, and the result is named for it:
///         nobody is paid for a fraction of a unit that was not delivered.
///         The TypeScript mirror (oracle/chain/units.ts) is checked against this library by a
///         property test through contracts/test/GridSwapMathHarness.sol.
library GridSwapMath {
    /// @notice 100 % in basis points.
    uint256 internal constant BPS = 10_000;

    /// @notice What one settlement moves (see IDemandResponseMarket.Settlement).
    struct Outcome {
        uint64 deliveredWh;
        uint64 paidWh;
        uint64 penaltyWh;
        uint128 usdToGenerator;
    }

    /// @notice Payment for `fillWh` of an offer of `amountWh` priced `usd` in total:
    ///         ⌊usd · fillWh / amountWh⌋. Needs fillWh ≤ amountWh (so the result ≤ usd) and amountWh > 0.
    function paymentDown(uint128 usd, uint64 fillWh, uint64 amountWh) internal pure returns (uint128) {
        // usd < 2^128 and fillWh < 2^64: the product fits in 256 bits; the quotient ≤ usd.
        return uint128((uint256(usd) * fillWh) / amountWh);
    }

    /// @notice Graduated settlement of one position.
    /// @param amountWh Wh filled (the commitment), > 0.
    /// @param usd Payment escrowed for full delivery, 1e-8 USD.
    /// @param committedBeforeWh Wh of the generator's earlier positions in the same period and direction.
    /// @param measuredWh The oracle's delivered energy, Wh, signed (+ = output raised).
    /// @param increase True when the position bought an increase of output.
    /// @param minDeliveredBps Fraction below which nothing is paid.
    /// @param penaltyBps Part of the shortfall's commitment forfeited to the centre.
    function settle(
        uint64 amountWh,
        uint128 usd,
        uint64 committedBeforeWh,
        int64 measuredWh,
        bool increase,
        uint256 minDeliveredBps,
        uint256 penaltyBps
    ) internal pure returns (Outcome memory o) {
        // int256 throughout: negating type(int64).min and subtracting a uint64 cannot overflow.
        int256 inDirection = increase ? int256(measuredWh) : -int256(measuredWh);
        int256 credit = inDirection - int256(uint256(committedBeforeWh));
        if (credit >= int256(uint256(amountWh))) o.deliveredWh = amountWh;
        else if (credit > 0) o.deliveredWh = uint64(uint256(credit));
        // deliveredWh · 10^4 and amountWh · bps are below 2^78: no overflow in uint256.
        if (uint256(o.deliveredWh) * BPS >= uint256(amountWh) * minDeliveredBps) o.paidWh = o.deliveredWh;
        // paidWh ≤ amountWh, so the shortfall cannot underflow; penalty ≤ shortfall when bps ≤ 10^4.
        o.penaltyWh = uint64((uint256(amountWh - o.paidWh) * penaltyBps) / BPS);
        o.usdToGenerator = paymentDown(usd, o.paidWh, amountWh);
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

    /// @notice `timestamp` is beyond the last period a uint32 can number.
    error PeriodOverflow(uint256 timestamp);
}
