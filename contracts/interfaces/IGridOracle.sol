// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Power-flow oracle: one immutable report per 30-minute period.
/// @notice Units and scales, used everywhere in GridSwap:
///         - period: Unix time / 1800 (period p covers [p·1800, (p+1)·1800) seconds);
///         - power: watts (W), signed where a direction matters;
///         - energy: watt-hours (Wh), signed: positive = more output than scheduled;
///         - prices: USD per MWh scaled by 1e8 (the USD token's decimals).
///         A report is accepted from one ORACLE_ROLE account when the threshold is 1, or from any
///         relayer with EIP-712 signatures of `threshold` distinct oracle accounts, so no single
///         node need be trusted. Only what settlement needs (the report's hash and the measured
///         deliveries) is stored; every field is emitted, and `verifyReport` checks any copy
///         against the stored hash.
interface IGridOracle {
    /// @notice A line over its active-power limit in the period's load flow.
    /// @param line 0-based row of the branch in the case.
    /// @param flowW Loss-neutral mean active flow (Pf − Pt)/2, W, signed from → to bus.
    /// @param limitW Active-power limit, W.
    /// @param deviationW |flowW| − limitW, W.
    struct LineViolation {
        uint32 line;
        int64 flowW;
        uint64 limitW;
        uint64 deviationW;
    }

    /// @notice Locational marginal price at a node: USD/MWh · 1e8 (may be negative).
    struct NodalPrice {
        uint32 node;
        int64 usdPerMWh;
    }

    /// @notice Adjustment a generator delivered in an earlier period, measured: Wh, signed
    ///         (positive = output raised above its schedule, negative = lowered).
    struct Delivery {
        uint32 period;
        address generator;
        int64 adjustmentWh;
    }

    /// @notice One period's report.
    /// @param period The period whose load flow this is.
    /// @param inputHash keccak256 of the case and forecasts the oracle solved (off-chain data).
    struct Report {
        uint32 period;
        bytes32 inputHash;
        LineViolation[] violations;
        NodalPrice[] prices;
        Delivery[] deliveries;
    }

    /// @notice A report was accepted: `reportHash` = keccak256(abi.encode(report)).
    event ReportSubmitted(uint32 indexed period, bytes32 reportHash, bytes32 inputHash, address indexed submitter);
    /// @notice A line over its limit (units as in LineViolation).
    event LineOutOfLimit(uint32 indexed period, uint32 indexed line, int64 flowW, uint64 limitW, uint64 deviationW);
    /// @notice A nodal price, USD/MWh · 1e8.
    event NodalPriceReported(uint32 indexed period, uint32 indexed node, int64 usdPerMWh);
    /// @notice A measured delivery for `deliveryPeriod`, Wh (signed), carried by the report of `reportPeriod`.
    event DeliveryMeasured(
        uint32 indexed deliveryPeriod,
        address indexed generator,
        int64 adjustmentWh,
        uint32 reportPeriod
    );
    /// @notice The number of oracle signatures a report needs changed.
    event ThresholdChanged(uint8 threshold);

    /// @notice A report for `period` exists already; reports are immutable.
    error ReportAlreadySubmitted(uint32 period);
    /// @notice `period` has not started yet (current period: `currentPeriod`).
    error PeriodInFuture(uint32 period, uint32 currentPeriod);
    /// @notice A delivery must be for a period before the report's (`deliveryPeriod` ≥ `reportPeriod`).
    error DeliveryNotInPast(uint32 deliveryPeriod, uint32 reportPeriod);
    /// @notice A delivery of `generator` in `period` was reported already.
    error DeliveryAlreadyReported(uint32 period, address generator);
    /// @notice A delivery names the zero address.
    error ZeroGenerator();
    /// @notice The caller may not submit without signatures (not an oracle, or the threshold is above 1).
    error UnauthorizedSubmitter(address caller);
    /// @notice `signer` recovered from a signature does not hold ORACLE_ROLE.
    error SignerNotOracle(address signer);
    /// @notice Signers must be given in strictly increasing address order (no duplicates).
    error SignersNotAscending(address signer);
    /// @notice `count` valid signatures, `threshold` needed.
    error NotEnoughSignatures(uint256 count, uint256 threshold);
    /// @notice The threshold must be at least 1.
    error ZeroThreshold();

    /// @notice Accepts `report`. Without signatures the caller must hold ORACLE_ROLE and the
    ///         threshold must be 1; otherwise `signatures` must hold at least `threshold` EIP-712
    ///         signatures of `reportDigest(report)` by distinct oracle accounts, in ascending
    ///         signer order, and anyone may relay them.
    function submitReport(Report calldata report, bytes[] calldata signatures) external;

    /// @notice Sets how many oracle signatures a report needs. Only DEFAULT_ADMIN_ROLE, who must
    ///         keep it at most the number of ORACLE_ROLE accounts or reports cannot be accepted.
    function setThreshold(uint8 threshold) external;

    /// @notice Signatures needed per report (default 1).
    function threshold() external view returns (uint8);

    /// @notice The EIP-712 digest oracle accounts sign for `report`.
    function reportDigest(Report calldata report) external view returns (bytes32);

    /// @notice Stored hash of the report for `period`: keccak256(abi.encode(report)), zero if none.
    function reportHashOf(uint32 period) external view returns (bytes32);

    /// @notice True when a report for `period` exists.
    function hasReport(uint32 period) external view returns (bool);

    /// @notice True when `report` is exactly the one stored for its period.
    function verifyReport(Report calldata report) external view returns (bool);

    /// @notice Measured adjustment of `generator` in `period`: whether it was reported, and Wh (signed).
    function measuredAdjustment(
        uint32 period,
        address generator
    ) external view returns (bool reported, int64 adjustmentWh);

    /// @notice The period containing `timestamp` (Unix s): timestamp / 1800.
    function periodOf(uint256 timestamp) external pure returns (uint32);
}
