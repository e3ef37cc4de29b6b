// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBaselineErrors, IBatchErrors, IGeneratorErrors} from "./IGridSwapErrors.sol";

/// @title Power-flow oracle: one immutable k-of-n report per period, measured deliveries, disputes.
/// @notice Units and scales, used everywhere in GridSwap:
///         - period: ⌊Unix time / periodSeconds⌋; period p covers [p·periodSeconds, (p+1)·periodSeconds)
///           seconds. `periodSeconds` is ONE deploy-time constant of this contract (1800 s by
///           default); every other contract reads it from here;
///         - power: watts (W), signed where a direction matters;
///         - energy: watt-hours (Wh), signed: positive = more output than the baseline;
///         - prices: USD per MWh scaled by 1e8 (the USD token's decimals);
///         - times: Unix seconds.
///
///         Trust: there is no administrator. A set of n oracle signers (the power quality centres'
///         load-flow oracles) with a threshold k, n/2 < k ≤ n, accepts reports, corrections and
///         changes of its own membership by k EIP-712 signatures, relayed by anyone. Every
///         signature is bound to this contract (domain), to the configuration epoch (bumped by
///         every change of the set) and to a deadline. A bundle counts the valid signatures of
///         current signers once each and ignores all others (unknown or revoked signers,
///         malformed signatures, duplicates): one bad entry never rejects a report whose valid
///         signatures meet the threshold.
///
///         Measurements: a report of period R carries measured deliveries of earlier periods,
///         at most one per (generator, delivery period) ever — each with the generator's registry
///         index, its baseline, actual and delivered energy and an OpenADR 3 data-quality flag.
///         The oracle stores a report's measurements compactly: the Merkle root of the list
///         (libraries/MeasurementTree.sol) and one bit per (delivery period, generator index),
///         which refuses a second measurement of the same generator and period; every field is
///         emitted (MeasurementReported, in report order: the tree's leaves). Whoever uses a
///         measurement — the market to settle, the generator to dispute — presents it with its
///         proof (or the report's whole list). A measurement becomes final `disputeWindow`
///         seconds after its report. Within the window the generator may dispute it with a
///         reading signed by the meter key bound in the registry; a disputed measurement is final
///         only once the quorum has corrected it (`correctMeasurement`). MISSING or BAD
///         measurements are not usable for settlement and may also be corrected, and so may a
///         generator-period never reported. Disputes and corrections are stored per generator
///         and period (the exceptions, one slot each) and take precedence over the report.
///         `verifyReport` checks any published copy of a report against the stored hash.
interface IGridOracle is IGeneratorErrors, IBaselineErrors, IBatchErrors {
    /// @notice OpenADR 3 DATA_QUALITY of a measurement.
    /// @dev Ok and Estimated settle by the measured delivery (Estimated is flagged in the
    ///      settlement). Missing (no reading) and Bad (reading rejected) wait for a correction or a
    ///      dispute inside the dispute window; still so when final, they settle as no delivery
    ///      (the non-delivery penalty applies): a generator that did not deliver is never better
    ///      off than one that did, whatever happens to its meter data.
    enum Quality {
        Ok,
        Missing,
        Estimated,
        Bad
    }

    /// @notice How the baseline (what the generator would have produced without the trade) is set.
    /// @dev Nominated: the generator's nominated schedule for the period (baselineDays = 0).
    ///      RollingAverage: mean of the same period over the previous `baselineDays` working days
    ///      (1 ≤ baselineDays ≤ MAX_BASELINE_DAYS).
    ///      MeterBefore: the metered output in the period before the delivery period (baselineDays = 0).
    enum BaselineMethod {
        Nominated,
        RollingAverage,
        MeterBefore
    }

    /// @notice Where a (generator, delivery period) measurement stands.
    /// @dev None: not reported. Reported: carried by a report; final `disputeWindow` s later.
    ///      Disputed: the generator disputed it within the window; waits for a correction.
    ///      Corrected: replaced by a k-of-n correction; final at once.
    enum MeasurementState {
        None,
        Reported,
        Disputed,
        Corrected
    }

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

    /// @notice Locational marginal price at a node and its parts, USD/MWh · 1e8 (each may be
    ///         negative): usdPerMWh = energy (the reference bus's λ) + loss + congestion.
    /// @param node Bus number.
    /// @param usdPerMWh The nodal price.
    /// @param lossUsdPerMWh Its marginal-loss part, −λ · ∂L/∂P at the node.
    /// @param congestionUsdPerMWh Its congestion part, Σ μ · S over binding lines.
    struct NodalPrice {
        uint32 node;
        int64 usdPerMWh;
        int64 lossUsdPerMWh;
        int64 congestionUsdPerMWh;
    }

    /// @notice A generator's measured delivery in one period.
    /// @param generator The registered generator's wallet.
    /// @param generatorIndex Its registry index (IGeneratorRegistry.generatorOf; the one its market
    ///        book records): the key of the one-measurement-per-period bitmap.
    /// @param period The delivery period measured (before the carrying report's period).
    /// @param baseline The baseline method used (the one the generator's positions name).
    /// @param baselineDays Days averaged by RollingAverage; 0 for the other methods.
    /// @param baselineWh Baseline energy over the period, Wh.
    /// @param actualWh Metered energy over the period, Wh.
    /// @param deliveredWh actualWh − baselineWh, Wh (positive = output raised); checked on chain.
    /// @param quality Data quality of the reading.
    struct Measurement {
        address generator;
        uint32 generatorIndex;
        uint32 period;
        BaselineMethod baseline;
        uint8 baselineDays;
        int64 baselineWh;
        int64 actualWh;
        int64 deliveredWh;
        Quality quality;
    }

    /// @notice One period's report.
    /// @param period The period whose load flow this is (the current period or an earlier one).
    /// @param inputHash keccak256 of the case and forecasts the oracle solved (off-chain data).
    /// @param readingsHash keccak256 of the full set of meter readings the measurements used.
    /// @param violations Lines over their limit (at most MAX_VIOLATIONS).
    /// @param prices Nodal prices (at most MAX_PRICES).
    /// @param measurements Measured deliveries of earlier periods (at most MAX_MEASUREMENTS).
    struct Report {
        uint32 period;
        bytes32 inputHash;
        bytes32 readingsHash;
        LineViolation[] violations;
        NodalPrice[] prices;
        Measurement[] measurements;
    }

    /// @notice A revenue meter's reading, EIP-712 signed by the meter key bound in the registry
    ///         (the same typed data the operators verify off chain).
    /// @param meter The meter's key (its address), which signs.
    /// @param generator The generator the meter belongs to.
    /// @param period The delivery period read (the interval).
    /// @param actualWh Metered energy over the period, Wh.
    /// @param quality The meter's own data-quality flag for the reading.
    /// @param readAt When the meter took the reading (Unix s).
    struct MeterReading {
        address meter;
        address generator;
        uint32 period;
        int64 actualWh;
        Quality quality;
        uint64 readAt;
    }

    /// @notice A measurement as settlement and disputes see it: the reported one (proved) or the
    ///         exception stored for it (disputed or corrected) — one slot when stored.
    /// @param deliveredWh Delivered energy, Wh (signed).
    /// @param actualWh Metered energy, Wh (what a dispute contradicts).
    /// @param quality Data quality.
    /// @param baseline Baseline method used.
    /// @param baselineDays Days of a RollingAverage baseline, else 0.
    /// @param recordedAt Time the report or correction was accepted (Unix s).
    /// @param state Reported, Disputed or Corrected (None: no measurement known).
    /// @param generatorIndex The generator's registry index the measurement was made under.
    // Packing: 28 bytes: one slot already.
    // solhint-disable-next-line gas-struct-packing
    struct Record {
        int64 deliveredWh;
        int64 actualWh;
        Quality quality;
        BaselineMethod baseline;
        uint8 baselineDays;
        uint32 recordedAt;
        MeasurementState state;
        uint32 generatorIndex;
    }

    /// @notice A reported measurement and where it is: the period of the report that carried it
    ///         and the Merkle proof (sibling hashes) of its leaf in that report's tree.
    struct MeasurementProof {
        uint32 reportPeriod;
        Measurement measurement;
        bytes32[] proof;
    }

    /// @notice What is stored per report (three slots).
    /// @param reportHash keccak256(abi.encode(report)).
    /// @param measurementsRoot Root of the tree of its measurements (zero when it carries none).
    /// @param recordedAt Time it was accepted (Unix s): its measurements are final a dispute window later.
    /// @param measurementCount How many measurements it carries.
    struct ReportRecord {
        bytes32 reportHash;
        bytes32 measurementsRoot;
        uint32 recordedAt;
        uint16 measurementCount;
    }

    /// @notice A report was accepted. `reportHash` = keccak256(abi.encode(report)); its measurements'
    ///         tree has root `measurementsRoot` (their MeasurementReported events follow in leaf order).
    event ReportSubmitted(
        uint32 indexed period,
        bytes32 reportHash,
        bytes32 inputHash,
        bytes32 readingsHash,
        bytes32 measurementsRoot,
        uint32 configEpoch
    );
    /// @notice A line over its limit (units as in LineViolation).
    event LineOutOfLimit(uint32 indexed period, uint32 indexed line, int64 flowW, uint64 limitW, uint64 deviationW);
    /// @notice A nodal price and its loss and congestion parts, USD/MWh · 1e8.
    event NodalPriceReported(
        uint32 indexed period,
        uint32 indexed node,
        int64 usdPerMWh,
        int64 lossUsdPerMWh,
        int64 congestionUsdPerMWh
    );
    /// @notice A measured delivery of `generator` in `period`, carried by the report of `reportPeriod`
    ///         (units as in Measurement).
    event MeasurementReported(
        uint32 indexed period,
        address indexed generator,
        uint32 indexed reportPeriod,
        uint32 generatorIndex,
        BaselineMethod baseline,
        uint8 baselineDays,
        int64 baselineWh,
        int64 actualWh,
        int64 deliveredWh,
        Quality quality
    );
    /// @notice `generator` disputed its measurement of `period`: its meter read `meterActualWh`,
    ///         the report said `reportedActualWh` (Wh).
    event MeasurementDisputed(
        uint32 indexed period,
        address indexed generator,
        int64 meterActualWh,
        int64 reportedActualWh
    );
    /// @notice The quorum replaced the measurement of `generator` in `period` (units as in Measurement).
    event MeasurementCorrected(
        uint32 indexed period,
        address indexed generator,
        uint32 generatorIndex,
        BaselineMethod baseline,
        uint8 baselineDays,
        int64 baselineWh,
        int64 actualWh,
        int64 deliveredWh,
        Quality quality,
        bytes32 readingsHash
    );
    /// @notice The signer set became `signers` with threshold `threshold`, as configuration `configEpoch`.
    event SignersUpdated(uint32 indexed configEpoch, address[] signers, uint8 threshold);

    /// @notice A report for `period` exists already; reports are immutable.
    error ReportAlreadySubmitted(uint32 period);
    /// @notice `period` has not started yet (current period: `currentPeriod`).
    error PeriodInFuture(uint32 period, uint32 currentPeriod);
    /// @notice A measurement must be of a period that has ended before the report's period.
    error MeasurementNotInPast(uint32 deliveryPeriod, uint32 reportPeriod);
    /// @notice A measurement of `generator` (its index) in `period` was reported already.
    error MeasurementAlreadyReported(uint32 period, address generator);
    /// @notice A measurement names generator index 0 (registry indices start at 1).
    error ZeroGeneratorIndex();
    /// @notice `generator` is registered under index `registered`, not `given`.
    error WrongGeneratorIndex(address generator, uint32 given, uint32 registered);
    /// @notice The measurement presented is not the one reported for `generator` in `period`
    ///         (not a leaf of the named report's tree, or for another generator or period).
    error MeasurementNotProven(uint32 period, address generator);
    /// @notice The measurement list presented is not the one report `reportPeriod` carried.
    error MeasurementsMismatch(uint32 reportPeriod);
    /// @notice deliveredWh must equal actualWh − baselineWh (all Wh).
    error InconsistentMeasurement(
        address generator,
        uint32 period,
        int64 baselineWh,
        int64 actualWh,
        int64 deliveredWh
    );
    /// @notice The signatures' deadline `deadline` has passed (now: `nowTime`, Unix s).
    error SignatureExpired(uint64 deadline, uint256 nowTime);
    /// @notice Only `valid` distinct current signers signed; `threshold` are needed.
    error NotEnoughSignatures(uint256 valid, uint256 threshold);
    /// @notice A signer set must have 1..MAX_SIGNERS members; this one has `count`.
    error InvalidSignerCount(uint256 count);
    /// @notice A signer set may not contain the zero address.
    error ZeroSigner();
    /// @notice `signer` appears twice in the set.
    error DuplicateSigner(address signer);
    /// @notice The threshold must satisfy count/2 < threshold ≤ count.
    error InvalidThreshold(uint8 threshold, uint256 count);
    /// @notice Only the generator itself may dispute its measurement.
    error NotGenerator(address caller, address generator);
    /// @notice `generator` has no meter key bound (not registered).
    error NoMeterKey(address generator);
    /// @notice A dispute needs a reading of quality Ok; this one has `quality`.
    error ReadingNotUsable(Quality quality);
    /// @notice The reading names meter `meter`, but the generator's meter key is `meterKey`.
    error WrongMeter(address meter, address meterKey);
    /// @notice The reading was signed by `signer`, not by the generator's meter key `meterKey`.
    error WrongMeterSignature(address signer, address meterKey);
    /// @notice The measurement is `state` with quality `quality`: it cannot be disputed.
    error NotDisputable(uint32 period, address generator, MeasurementState state, Quality quality);
    /// @notice The dispute window of the measurement closed at `finalAt` (Unix s).
    error DisputeWindowClosed(uint32 period, address generator, uint256 finalAt);
    /// @notice The meter reading agrees with the reported actual energy (`actualWh`): nothing to dispute.
    error ReadingAgrees(uint32 period, address generator, int64 actualWh);
    /// @notice The period length must be at least one second.
    error ZeroPeriodSeconds();
    /// @notice The measurement is `state` with quality `quality`: a correction is not allowed.
    error NotCorrectable(uint32 period, address generator, MeasurementState state, Quality quality);
    /// @notice The reported measurement of `generator` in `period` became final at `finalAt` (Unix s):
    ///         a Missing or Bad one then counts as no delivery and is no longer corrected.
    error MeasurementFinal(uint32 period, address generator, uint256 finalAt);

    /// @notice Accepts `report`, authorised by `threshold` EIP-712 signatures of current signers
    ///         over Report(period, reportHash, configEpoch, deadline); anyone may relay. Stores the
    ///         report hash, the root of its measurements' tree and one bit per measurement
    ///         (refusing a generator-period measured before), emits every field.
    /// @param deadline Last second (Unix s) the signatures are valid.
    /// @param signatures 65-byte ECDSA signatures, in any order; invalid ones are ignored.
    function submitReport(Report calldata report, uint64 deadline, bytes[] calldata signatures) external;

    /// @notice Replaces the measurement of (m.generator, m.period) — Disputed, of quality Missing or
    ///         Bad (`reported` proves it when it is the report's, inside its dispute window), or never reported for an ended
    ///         period (m.generatorIndex must then be the registry's) — by k-of-n signatures over
    ///         Correction(generator, period, measurementHash, readingsHash, configEpoch, deadline),
    ///         measurementHash = keccak256(abi.encode(m)). The corrected measurement is final at once.
    /// @param readingsHash keccak256 of the meter readings the correction used.
    /// @param reported The reported measurement and its proof when it was reported Missing or Bad
    ///        (otherwise ignored: pass an empty proof).
    function correctMeasurement(
        Measurement calldata m,
        bytes32 readingsHash,
        uint64 deadline,
        bytes[] calldata signatures,
        MeasurementProof calldata reported
    ) external;

    /// @notice The generator (msg.sender) disputes its reported measurement (`reported`, with its
    ///         proof) within the dispute window with an Ok reading signed by its meter key that
    ///         contradicts the reported actual energy. Settlement of its commitment for that
    ///         period waits for a correction.
    function dispute(
        MeterReading calldata reading,
        bytes calldata meterSignature,
        MeasurementProof calldata reported
    ) external;

    /// @notice Replaces the signer set and threshold, authorised by `threshold` signatures of the
    ///         CURRENT set over SignerUpdate(signers, threshold, configEpoch, deadline). Bumps the
    ///         configuration epoch, which voids every signature collected before.
    function updateSigners(
        address[] calldata signers,
        uint8 threshold,
        uint64 deadline,
        bytes[] calldata signatures
    ) external;

    /// @notice Length of a period, seconds (deploy-time constant; 1800 by default).
    function periodSeconds() external view returns (uint32);

    /// @notice Seconds after being reported at which a measurement becomes final (deploy-time constant).
    function disputeWindow() external view returns (uint32);

    /// @notice The period containing `timestamp` (Unix s): ⌊timestamp / periodSeconds⌋.
    function periodOf(uint256 timestamp) external view returns (uint32);

    /// @notice First second of `period` (Unix s): period · periodSeconds.
    function periodStart(uint32 period) external view returns (uint256);

    /// @notice Current signers (ascending order not guaranteed: the order they were set in).
    function signers() external view returns (address[] memory);

    /// @notice Signatures needed.
    function threshold() external view returns (uint8);

    /// @notice Configuration epoch: 1 at deployment, +1 per signer-set update.
    function configEpoch() external view returns (uint32);

    /// @notice True when `account` is a signer of the current configuration.
    function isSigner(address account) external view returns (bool);

    /// @notice Stored hash of the report for `period`: keccak256(abi.encode(report)), zero if none.
    function reportHashOf(uint32 period) external view returns (bytes32);

    /// @notice True when a report for `period` exists.
    function hasReport(uint32 period) external view returns (bool);

    /// @notice True when `report` is exactly the one stored for its period.
    function verifyReport(Report calldata report) external view returns (bool);

    /// @notice What is stored of report `period` (zeros when there is none).
    function reportOf(uint32 period) external view returns (ReportRecord memory);

    /// @notice True when a measurement of the generator with index `generatorIndex` in `period`
    ///         has been reported or corrected.
    function isMeasured(uint32 period, uint32 generatorIndex) external view returns (bool);

    /// @notice The dispute or correction stored for `generator` in `period` (state None: none).
    function exceptionOf(uint32 period, address generator) external view returns (Record memory);

    /// @notice The measurement of `generator` in `period` and whether it is final: its exception
    ///         when there is one (Corrected: final; Disputed: not), else the reported measurement
    ///         `p` proves (final a dispute window after its report), else state None.
    function measurementOf(
        uint32 period,
        address generator,
        MeasurementProof calldata p
    ) external view returns (Record memory record, bool isFinal);

    /// @notice Checks that `measurements` is the whole list report `reportPeriod` carried, in
    ///         order (MeasurementsMismatch otherwise), and returns when the report was recorded —
    ///         its measurements are final a dispute window later — with the positions in the list
    ///         of those that have a dispute or correction, and those exceptions (they take
    ///         precedence; a Disputed one is not final, a Corrected one is).
    function measurementsOf(
        uint32 reportPeriod,
        Measurement[] calldata measurements
    ) external view returns (uint32 recordedAt, uint256[] memory exceptionAt, Record[] memory exceptions);

    /// @notice The root of the tree of `measurements` (as submitReport stores it).
    function measurementsRoot(Measurement[] calldata measurements) external pure returns (bytes32);

    /// @notice EIP-712 digest oracle signers sign for `report` with `deadline` (current epoch).
    function reportDigest(Report calldata report, uint64 deadline) external view returns (bytes32);

    /// @notice EIP-712 digest oracle signers sign to correct with `m` (current epoch).
    function correctionDigest(
        Measurement calldata m,
        bytes32 readingsHash,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice EIP-712 digest the current signers sign to install `signers_` with `threshold_`.
    function signerUpdateDigest(
        address[] calldata signers_,
        uint8 threshold_,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice EIP-712 digest a meter key signs for `reading`.
    function meterReadingDigest(MeterReading calldata reading) external view returns (bytes32);
}
