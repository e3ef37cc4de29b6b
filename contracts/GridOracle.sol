// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";
import {IGridOracle} from "./interfaces/IGridOracle.sol";
import {GridSwapMath} from "./libraries/GridSwapMath.sol";
import {MeasurementTree} from "./libraries/MeasurementTree.sol";

/// @title Power-flow oracle: k-of-n signed reports, measured deliveries, disputes and corrections.
/// @notice See IGridOracle for units, the trust model and the measurement life cycle. There is no
///         administrator: the signer set governs itself (updateSigners, k of the current n).
contract GridOracle is IGridOracle, EIP712 {
    /// @notice EIP-712 type of a report signature; reportHash = keccak256(abi.encode(report)).
    bytes32 public constant REPORT_TYPEHASH =
        keccak256("Report(uint32 period,bytes32 reportHash,uint32 configEpoch,uint64 deadline)");
    /// @notice EIP-712 type of a correction signature; measurementHash = keccak256(abi.encode(m)).
    bytes32 public constant CORRECTION_TYPEHASH =
        keccak256(
            "Correction(address generator,uint32 period,bytes32 measurementHash,bytes32 readingsHash,uint32 configEpoch,uint64 deadline)"
        );
    /// @notice EIP-712 type of a signer-set update signature.
    bytes32 public constant SIGNER_UPDATE_TYPEHASH =
        keccak256("SignerUpdate(address[] signers,uint8 threshold,uint32 configEpoch,uint64 deadline)");
    /// @notice EIP-712 type a meter key signs.
    bytes32 public constant METER_READING_TYPEHASH =
        keccak256(
            "MeterReading(address meter,address generator,uint32 period,int64 actualWh,uint8 quality,uint64 readAt)"
        );

    /// @notice Largest signer set (and signature bundle).
    uint256 public constant MAX_SIGNERS = 32;
    /// @notice Most measurements in one report (≈ 14.5k gas each: calldata, event, tree leaf, bit).
    ///         With the other two bounds, the largest report fits one transaction under EIP-7825's
    ///         2^24 cap; see docs/contracts.md, "Batch bounds".
    uint256 public constant MAX_MEASUREMENTS = 600;
    /// @notice Most line violations in one report (≈ 5k gas each).
    uint256 public constant MAX_VIOLATIONS = 500;
    /// @notice Most nodal prices in one report (≈ 3.8k gas each).
    uint256 public constant MAX_PRICES = 500;
    /// @notice Longest RollingAverage baseline, working days.
    uint8 public constant MAX_BASELINE_DAYS = 10;

    /// @inheritdoc IGridOracle
    uint32 public immutable periodSeconds;
    /// @inheritdoc IGridOracle
    uint32 public immutable disputeWindow;
    /// @notice Generators' meter keys (for disputes).
    IGeneratorRegistry public immutable registry;

    /// @dev The current configuration, one slot.
    struct Config {
        uint32 epoch;
        uint8 threshold;
        uint8 count;
    }

    /// @dev A signer is current when its epoch is the configuration's; `index` is its bit in a bundle.
    struct SignerInfo {
        uint32 epoch;
        uint8 index;
    }

    Config private _config;
    address[] private _signerList;
    mapping(address signer => SignerInfo) private _signerInfo;
    mapping(uint32 period => ReportRecord) private _reports;
    /// @dev Bit `index & 0xff` of word `index >> 8`: the generator with registry index `index` has a
    ///      measurement of `period` (reported or corrected).
    mapping(uint32 period => mapping(uint256 word => uint256 bits)) private _measured;
    /// @dev Disputes and corrections, which take precedence over the reported measurement.
    mapping(uint32 period => mapping(address generator => Record)) private _exceptions;

    /// @param signers_ The first signer set (n ≤ MAX_SIGNERS, distinct, non-zero).
    /// @param threshold_ Signatures needed, n/2 < threshold ≤ n.
    /// @param periodSeconds_ Length of a period, s (1800 in production).
    /// @param disputeWindow_ Seconds after being reported at which a measurement is final (0 allowed).
    /// @param registry_ Registry binding each generator's meter key.
    constructor(
        address[] memory signers_,
        uint8 threshold_,
        uint32 periodSeconds_,
        uint32 disputeWindow_,
        IGeneratorRegistry registry_
    ) EIP712("GridSwap Oracle", "3") {
        if (periodSeconds_ == 0) revert ZeroPeriodSeconds();
        periodSeconds = periodSeconds_;
        disputeWindow = disputeWindow_;
        registry = registry_;
        _setSigners(signers_, threshold_, 1);
    }

    // ------------------------------------------------------------------------------------------
    // Reports

    /// @inheritdoc IGridOracle
    function submitReport(Report calldata report, uint64 deadline, bytes[] calldata signatures) external {
        uint32 period = report.period;
        _checkBound(report.violations.length, MAX_VIOLATIONS);
        _checkBound(report.prices.length, MAX_PRICES);
        _checkBound(report.measurements.length, MAX_MEASUREMENTS);
        if (_reports[period].reportHash != bytes32(0)) revert ReportAlreadySubmitted(period);
        uint32 current = GridSwapMath.periodOf(block.timestamp, periodSeconds);
        if (period > current) revert PeriodInFuture(period, current);
        bytes32 reportHash = keccak256(abi.encode(report));
        uint32 epoch = _authorize(
            keccak256(abi.encode(REPORT_TYPEHASH, period, reportHash, _config.epoch, deadline)),
            deadline,
            signatures
        );

        bytes32 root = MeasurementTree.root(report.measurements);
        // Unix seconds fit uint32 until 2106; the count is bounded by MAX_MEASUREMENTS.
        _reports[period] = ReportRecord(reportHash, root, uint32(block.timestamp), uint16(report.measurements.length));
        emit ReportSubmitted(period, reportHash, report.inputHash, report.readingsHash, root, epoch);
        for (uint256 i = 0; i < report.violations.length; ++i) {
            LineViolation calldata v = report.violations[i];
            emit LineOutOfLimit(period, v.line, v.flowW, v.limitW, v.deviationW);
        }
        for (uint256 i = 0; i < report.prices.length; ++i) {
            NodalPrice calldata price = report.prices[i];
            emit NodalPriceReported(
                period,
                price.node,
                price.usdPerMWh,
                price.lossUsdPerMWh,
                price.congestionUsdPerMWh
            );
        }
        for (uint256 i = 0; i < report.measurements.length; ++i) _recordReported(report.measurements[i], period);
    }

    /// @inheritdoc IGridOracle
    function correctMeasurement(
        Measurement calldata m,
        bytes32 readingsHash,
        uint64 deadline,
        bytes[] calldata signatures,
        MeasurementProof calldata reported
    ) external {
        _checkMeasurement(m);
        uint32 current = GridSwapMath.periodOf(block.timestamp, periodSeconds);
        if (m.period >= current) revert MeasurementNotInPast(m.period, current);
        Record storage exception = _exceptions[m.period][m.generator];
        MeasurementState state = exception.state;
        if (state == MeasurementState.Corrected) {
            if (!_unusable(exception.quality)) revert NotCorrectable(m.period, m.generator, state, exception.quality);
        } else if (state == MeasurementState.None) {
            if (_isMeasured(m.period, m.generatorIndex)) {
                // Reported: only a Missing or Bad report may be replaced, and it must be shown.
                Record memory was = _proven(m.period, m.generator, reported);
                if (was.generatorIndex != m.generatorIndex || !_unusable(was.quality))
                    revert NotCorrectable(m.period, m.generator, MeasurementState.Reported, was.quality);
                uint256 finalAt = uint256(was.recordedAt) + disputeWindow;
                if (block.timestamp >= finalAt) revert MeasurementFinal(m.period, m.generator, finalAt);
            } else {
                // Never reported: the index must be the generator's, and now it has a measurement.
                (, , , uint32 index) = registry.generatorOf(m.generator);
                if (index != m.generatorIndex) revert WrongGeneratorIndex(m.generator, m.generatorIndex, index);
                _markMeasured(m.period, m.generatorIndex);
            }
        }
        _authorize(_correctionStructHash(m, readingsHash, deadline), deadline, signatures);
        _store(exception, m, MeasurementState.Corrected, uint32(block.timestamp));
        _emitCorrected(m, readingsHash);
    }

    /// @inheritdoc IGridOracle
    function dispute(
        MeterReading calldata reading,
        bytes calldata meterSignature,
        MeasurementProof calldata reported
    ) external {
        if (msg.sender != reading.generator) revert NotGenerator(msg.sender, reading.generator);
        address meterKey = registry.meterKeyOf(reading.generator);
        if (meterKey == address(0)) revert NoMeterKey(reading.generator);
        if (reading.meter != meterKey) revert WrongMeter(reading.meter, meterKey);
        (address signer, , ) = ECDSA.tryRecover(_hashTypedDataV4(_meterReadingStructHash(reading)), meterSignature);
        if (signer != meterKey) revert WrongMeterSignature(signer, meterKey);
        if (reading.quality != Quality.Ok) revert ReadingNotUsable(reading.quality);
        Record storage exception = _exceptions[reading.period][reading.generator];
        if (exception.state != MeasurementState.None)
            revert NotDisputable(reading.period, reading.generator, exception.state, exception.quality);
        Record memory record = _proven(reading.period, reading.generator, reported);
        if (!(record.quality == Quality.Ok || record.quality == Quality.Estimated))
            revert NotDisputable(reading.period, reading.generator, MeasurementState.Reported, record.quality);
        uint256 finalAt = uint256(record.recordedAt) + disputeWindow;
        if (block.timestamp >= finalAt) revert DisputeWindowClosed(reading.period, reading.generator, finalAt);
        int64 reportedWh = record.actualWh;
        if (reading.actualWh == reportedWh) revert ReadingAgrees(reading.period, reading.generator, reportedWh);

        _store(exception, reported.measurement, MeasurementState.Disputed, record.recordedAt);
        emit MeasurementDisputed(reading.period, reading.generator, reading.actualWh, reportedWh);
    }

    // ------------------------------------------------------------------------------------------
    // Signer set

    /// @inheritdoc IGridOracle
    function updateSigners(
        address[] calldata signers_,
        uint8 threshold_,
        uint64 deadline,
        bytes[] calldata signatures
    ) external {
        uint32 epoch = _authorize(_signerUpdateStructHash(signers_, threshold_, deadline), deadline, signatures);
        _setSigners(signers_, threshold_, epoch + 1);
    }

    // ------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IGridOracle
    function periodOf(uint256 timestamp) external view returns (uint32) {
        return GridSwapMath.periodOf(timestamp, periodSeconds);
    }

    /// @inheritdoc IGridOracle
    function periodStart(uint32 period) external view returns (uint256) {
        return GridSwapMath.periodStart(period, periodSeconds);
    }

    /// @inheritdoc IGridOracle
    function signers() external view returns (address[] memory) {
        return _signerList;
    }

    /// @inheritdoc IGridOracle
    function threshold() external view returns (uint8) {
        return _config.threshold;
    }

    /// @inheritdoc IGridOracle
    function configEpoch() external view returns (uint32) {
        return _config.epoch;
    }

    /// @inheritdoc IGridOracle
    function isSigner(address account) external view returns (bool) {
        return account != address(0) && _signerInfo[account].epoch == _config.epoch;
    }

    /// @inheritdoc IGridOracle
    function reportHashOf(uint32 period) external view returns (bytes32) {
        return _reports[period].reportHash;
    }

    /// @inheritdoc IGridOracle
    function hasReport(uint32 period) external view returns (bool) {
        return _reports[period].reportHash != bytes32(0);
    }

    /// @inheritdoc IGridOracle
    function verifyReport(Report calldata report) external view returns (bool) {
        bytes32 stored = _reports[report.period].reportHash;
        return stored != bytes32(0) && stored == keccak256(abi.encode(report));
    }

    /// @inheritdoc IGridOracle
    function reportOf(uint32 period) external view returns (ReportRecord memory) {
        return _reports[period];
    }

    /// @inheritdoc IGridOracle
    function isMeasured(uint32 period, uint32 generatorIndex) external view returns (bool) {
        return _isMeasured(period, generatorIndex);
    }

    /// @inheritdoc IGridOracle
    function exceptionOf(uint32 period, address generator) external view returns (Record memory) {
        return _exceptions[period][generator];
    }

    /// @inheritdoc IGridOracle
    function measurementOf(
        uint32 period,
        address generator,
        MeasurementProof calldata p
    ) external view returns (Record memory record, bool isFinal) {
        record = _exceptions[period][generator];
        if (record.state != MeasurementState.None) return (record, record.state == MeasurementState.Corrected);
        if (!_proves(period, generator, p)) return (record, false);
        record = _reportedRecord(p.measurement, _reports[p.reportPeriod].recordedAt);
        isFinal = block.timestamp >= uint256(record.recordedAt) + disputeWindow;
    }

    /// @inheritdoc IGridOracle
    function measurementsOf(
        uint32 reportPeriod,
        Measurement[] calldata measurements
    ) external view returns (uint32 recordedAt, uint256[] memory exceptionAt, Record[] memory exceptions) {
        ReportRecord storage report = _reports[reportPeriod];
        uint256 n = measurements.length;
        if (
            report.reportHash == bytes32(0) ||
            n != report.measurementCount ||
            MeasurementTree.root(measurements) != report.measurementsRoot
        ) revert MeasurementsMismatch(reportPeriod);
        recordedAt = report.recordedAt;
        uint256 found;
        uint256[] memory at = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            Measurement calldata m = measurements[i];
            if (_exceptions[m.period][m.generator].state != MeasurementState.None) {
                at[found] = i;
                ++found;
            }
        }
        exceptionAt = new uint256[](found);
        exceptions = new Record[](found);
        for (uint256 k = 0; k < found; ++k) {
            Measurement calldata m = measurements[at[k]];
            exceptionAt[k] = at[k];
            exceptions[k] = _exceptions[m.period][m.generator];
        }
    }

    /// @inheritdoc IGridOracle
    function measurementsRoot(Measurement[] calldata measurements) external pure returns (bytes32) {
        return MeasurementTree.root(measurements);
    }

    /// @inheritdoc IGridOracle
    function reportDigest(Report calldata report, uint64 deadline) external view returns (bytes32) {
        bytes32 reportHash = keccak256(abi.encode(report));
        return
            _hashTypedDataV4(
                keccak256(abi.encode(REPORT_TYPEHASH, report.period, reportHash, _config.epoch, deadline))
            );
    }

    /// @inheritdoc IGridOracle
    function correctionDigest(
        Measurement calldata m,
        bytes32 readingsHash,
        uint64 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(_correctionStructHash(m, readingsHash, deadline));
    }

    /// @inheritdoc IGridOracle
    function signerUpdateDigest(
        address[] calldata signers_,
        uint8 threshold_,
        uint64 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(_signerUpdateStructHash(signers_, threshold_, deadline));
    }

    /// @inheritdoc IGridOracle
    function meterReadingDigest(MeterReading calldata reading) external view returns (bytes32) {
        return _hashTypedDataV4(_meterReadingStructHash(reading));
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    /// @dev Counts the valid signatures of `structHash` by current signers, each signer once;
    ///      ignores malformed signatures and unknown, revoked or repeated signers. Stops recovering
    ///      once the threshold is met. Returns the configuration epoch the signatures were checked under.
    function _authorize(
        bytes32 structHash,
        uint64 deadline,
        bytes[] calldata signatures
    ) private view returns (uint32) {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        _checkBound(signatures.length, MAX_SIGNERS);
        Config memory config = _config;
        bytes32 digest = _hashTypedDataV4(structHash);
        uint256 seen; // bit i set: the signer with index i has been counted
        uint256 valid;
        for (uint256 i = 0; i < signatures.length && valid < config.threshold; ++i) {
            (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) continue;
            SignerInfo memory info = _signerInfo[signer];
            if (info.epoch != config.epoch) continue;
            uint256 bit = 1 << info.index;
            if (seen & bit != 0) continue;
            seen |= bit;
            ++valid;
        }
        if (valid < config.threshold) revert NotEnoughSignatures(valid, config.threshold);
        return config.epoch;
    }

    /// @dev Installs a signer set as configuration `epoch` (old signers lapse with the old epoch).
    function _setSigners(address[] memory signers_, uint8 threshold_, uint32 epoch) private {
        uint256 count = signers_.length;
        if (count == 0 || count > MAX_SIGNERS) revert InvalidSignerCount(count);
        if (threshold_ > count || uint256(threshold_) * 2 <= count) revert InvalidThreshold(threshold_, count);
        for (uint256 i = 0; i < count; ++i) {
            address signer = signers_[i];
            if (signer == address(0)) revert ZeroSigner();
            if (_signerInfo[signer].epoch == epoch) revert DuplicateSigner(signer);
            // i < MAX_SIGNERS = 32 fits uint8.
            _signerInfo[signer] = SignerInfo(epoch, uint8(i));
        }
        _signerList = signers_;
        _config = Config(epoch, threshold_, uint8(count));
        emit SignersUpdated(epoch, signers_, threshold_);
    }

    /// @dev Checks one measurement carried by the report of `reportPeriod`, marks its generator
    ///      and period measured (refusing a second) and emits it.
    function _recordReported(Measurement calldata m, uint32 reportPeriod) private {
        _checkMeasurement(m);
        if (m.period >= reportPeriod) revert MeasurementNotInPast(m.period, reportPeriod);
        if (_isMeasured(m.period, m.generatorIndex)) revert MeasurementAlreadyReported(m.period, m.generator);
        _markMeasured(m.period, m.generatorIndex);
        emit MeasurementReported(
            m.period,
            m.generator,
            reportPeriod,
            m.generatorIndex,
            m.baseline,
            m.baselineDays,
            m.baselineWh,
            m.actualWh,
            m.deliveredWh,
            m.quality
        );
    }

    function _isMeasured(uint32 period, uint32 generatorIndex) private view returns (bool) {
        return _measured[period][generatorIndex >> 8] & (1 << (generatorIndex & 0xff)) != 0;
    }

    function _markMeasured(uint32 period, uint32 generatorIndex) private {
        _measured[period][generatorIndex >> 8] |= 1 << (generatorIndex & 0xff);
    }

    /// @dev True when `p` proves a reported measurement of `generator` in `period`.
    function _proves(uint32 period, address generator, MeasurementProof calldata p) private view returns (bool) {
        return
            p.measurement.generator == generator &&
            p.measurement.period == period &&
            MeasurementTree.contains(_reports[p.reportPeriod].measurementsRoot, p.measurement, p.proof);
    }

    /// @dev The reported record `p` proves; reverts MeasurementNotProven otherwise.
    function _proven(
        uint32 period,
        address generator,
        MeasurementProof calldata p
    ) private view returns (Record memory) {
        if (!_proves(period, generator, p)) revert MeasurementNotProven(period, generator);
        return _reportedRecord(p.measurement, _reports[p.reportPeriod].recordedAt);
    }

    function _reportedRecord(Measurement calldata m, uint32 recordedAt) private pure returns (Record memory) {
        return
            Record({
                deliveredWh: m.deliveredWh,
                actualWh: m.actualWh,
                quality: m.quality,
                baseline: m.baseline,
                baselineDays: m.baselineDays,
                recordedAt: recordedAt,
                state: MeasurementState.Reported,
                generatorIndex: m.generatorIndex
            });
    }

    function _unusable(Quality quality) private pure returns (bool) {
        return quality == Quality.Missing || quality == Quality.Bad;
    }

    function _emitCorrected(Measurement calldata m, bytes32 readingsHash) private {
        emit MeasurementCorrected(
            m.period,
            m.generator,
            m.generatorIndex,
            m.baseline,
            m.baselineDays,
            m.baselineWh,
            m.actualWh,
            m.deliveredWh,
            m.quality,
            readingsHash
        );
    }

    function _checkMeasurement(Measurement calldata m) private pure {
        if (m.generator == address(0)) revert ZeroGenerator();
        if (m.generatorIndex == 0) revert ZeroGeneratorIndex();
        bool rolling = m.baseline == BaselineMethod.RollingAverage;
        if (rolling ? (m.baselineDays == 0 || m.baselineDays > MAX_BASELINE_DAYS) : m.baselineDays != 0)
            revert InvalidBaseline(m.baseline, m.baselineDays);
        // int256: the difference of two int64 cannot overflow.
        if (int256(m.deliveredWh) != int256(m.actualWh) - int256(m.baselineWh))
            revert InconsistentMeasurement(m.generator, m.period, m.baselineWh, m.actualWh, m.deliveredWh);
    }

    function _store(Record storage record, Measurement calldata m, MeasurementState state, uint32 recordedAt) private {
        record.deliveredWh = m.deliveredWh;
        record.actualWh = m.actualWh;
        record.quality = m.quality;
        record.baseline = m.baseline;
        record.baselineDays = m.baselineDays;
        record.recordedAt = recordedAt;
        record.state = state;
        record.generatorIndex = m.generatorIndex;
    }

    function _checkBound(uint256 length, uint256 max) private pure {
        if (length > max) revert TooManyItems(length, max);
    }

    function _correctionStructHash(
        Measurement calldata m,
        bytes32 readingsHash,
        uint64 deadline
    ) private view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    CORRECTION_TYPEHASH,
                    m.generator,
                    m.period,
                    keccak256(abi.encode(m)),
                    readingsHash,
                    _config.epoch,
                    deadline
                )
            );
    }

    function _signerUpdateStructHash(
        address[] calldata signers_,
        uint8 threshold_,
        uint64 deadline
    ) private view returns (bytes32) {
        // EIP-712 encodes address[] as keccak256 of the 32-byte-padded elements.
        return
            keccak256(
                abi.encode(
                    SIGNER_UPDATE_TYPEHASH,
                    keccak256(abi.encodePacked(signers_)),
                    threshold_,
                    _config.epoch,
                    deadline
                )
            );
    }

    function _meterReadingStructHash(MeterReading calldata reading) private pure returns (bytes32) {
        // Every field is a static value type: abi.encode is EIP-712's encodeData.
        return keccak256(abi.encode(METER_READING_TYPEHASH, reading));
    }
}
