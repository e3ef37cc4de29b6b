// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IGridOracle} from "./interfaces/IGridOracle.sol";

/// @title Power-flow oracle: one immutable report per 30-minute period, from 1 or k-of-n oracles.
/// @notice See IGridOracle for units. ORACLE_ROLE accounts are the power quality centres'
///         load-flow oracles; DEFAULT_ADMIN_ROLE sets the signature threshold.
contract GridOracle is IGridOracle, AccessControl, EIP712 {
    /// @notice Accounts whose reports (or signatures on reports) are trusted.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    /// @notice EIP-712 type signed by oracle accounts.
    bytes32 public constant REPORT_TYPEHASH = keccak256("Report(uint32 period,bytes32 reportHash)");
    /// @notice Length of a period, seconds.
    uint256 public constant PERIOD_SECONDS = 1800;

    struct Measurement {
        bool reported;
        int64 adjustmentWh;
    }

    /// @inheritdoc IGridOracle
    uint8 public threshold = 1;

    mapping(uint32 period => bytes32 reportHash) private _reportHash;
    mapping(uint32 period => mapping(address generator => Measurement)) private _measured;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(address admin) EIP712("GridSwap GridOracle", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IGridOracle
    function submitReport(Report calldata report, bytes[] calldata signatures) external {
        uint32 period = report.period;
        if (_reportHash[period] != bytes32(0)) revert ReportAlreadySubmitted(period);
        uint32 current = periodOf(block.timestamp);
        if (period > current) revert PeriodInFuture(period, current);
        bytes32 reportHash = keccak256(abi.encode(report));
        _authorize(period, reportHash, signatures);

        _reportHash[period] = reportHash;
        emit ReportSubmitted(period, reportHash, report.inputHash, msg.sender);
        for (uint256 i = 0; i < report.violations.length; ++i) {
            LineViolation calldata v = report.violations[i];
            emit LineOutOfLimit(period, v.line, v.flowW, v.limitW, v.deviationW);
        }
        for (uint256 i = 0; i < report.prices.length; ++i) {
            emit NodalPriceReported(period, report.prices[i].node, report.prices[i].usdPerMWh);
        }
        for (uint256 i = 0; i < report.deliveries.length; ++i) {
            Delivery calldata d = report.deliveries[i];
            if (d.generator == address(0)) revert ZeroGenerator();
            if (d.period >= period) revert DeliveryNotInPast(d.period, period);
            Measurement storage m = _measured[d.period][d.generator];
            if (m.reported) revert DeliveryAlreadyReported(d.period, d.generator);
            m.reported = true;
            m.adjustmentWh = d.adjustmentWh;
            emit DeliveryMeasured(d.period, d.generator, d.adjustmentWh, period);
        }
    }

    /// @inheritdoc IGridOracle
    function setThreshold(uint8 threshold_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (threshold_ == 0) revert ZeroThreshold();
        threshold = threshold_;
        emit ThresholdChanged(threshold_);
    }

    /// @inheritdoc IGridOracle
    function reportDigest(Report calldata report) external view returns (bytes32) {
        return _digest(report.period, keccak256(abi.encode(report)));
    }

    /// @inheritdoc IGridOracle
    function reportHashOf(uint32 period) external view returns (bytes32) {
        return _reportHash[period];
    }

    /// @inheritdoc IGridOracle
    function hasReport(uint32 period) external view returns (bool) {
        return _reportHash[period] != bytes32(0);
    }

    /// @inheritdoc IGridOracle
    function verifyReport(Report calldata report) external view returns (bool) {
        bytes32 stored = _reportHash[report.period];
        return stored != bytes32(0) && stored == keccak256(abi.encode(report));
    }

    /// @inheritdoc IGridOracle
    function measuredAdjustment(uint32 period, address generator) external view returns (bool, int64) {
        Measurement storage m = _measured[period][generator];
        return (m.reported, m.adjustmentWh);
    }

    /// @inheritdoc IGridOracle
    function periodOf(uint256 timestamp) public pure returns (uint32) {
        return uint32(timestamp / PERIOD_SECONDS);
    }

    /// @dev A lone oracle may submit directly when one signature suffices; otherwise `threshold`
    ///      distinct oracle signatures are required, whoever relays them.
    function _authorize(uint32 period, bytes32 reportHash, bytes[] calldata signatures) private view {
        uint256 needed = threshold;
        if (signatures.length == 0) {
            if (needed != 1 || !hasRole(ORACLE_ROLE, msg.sender)) revert UnauthorizedSubmitter(msg.sender);
            return;
        }
        bytes32 digest = _digest(period, reportHash);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; ++i) {
            address signer = ECDSA.recover(digest, signatures[i]);
            if (signer <= previous) revert SignersNotAscending(signer);
            if (!hasRole(ORACLE_ROLE, signer)) revert SignerNotOracle(signer);
            previous = signer;
        }
        if (signatures.length < needed) revert NotEnoughSignatures(signatures.length, needed);
    }

    function _digest(uint32 period, bytes32 reportHash) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REPORT_TYPEHASH, period, reportHash)));
    }
}
