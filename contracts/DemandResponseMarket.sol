// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IDemandResponseMarket} from "./interfaces/IDemandResponseMarket.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";
import {IGridOracle} from "./interfaces/IGridOracle.sol";
import {GridSwapVault} from "./GridSwapVault.sol";
import {GridSwapMath} from "./libraries/GridSwapMath.sol";

/// @title Signed demand-response offers, filled from the vault, settled on the oracle's measurement.
/// @notice See IDemandResponseMarket for the life of an offer, the settlement rule and units, and
///         IGridSwapVault for balances. The power quality centres hold CENTRE_ROLE; the admin only
///         grants and revokes it. Every term is immutable.
contract DemandResponseMarket is IDemandResponseMarket, GridSwapVault, AccessControl, EIP712 {
    /// @notice May sign offers (the power quality centres).
    bytes32 public constant CENTRE_ROLE = keccak256("CENTRE_ROLE");
    /// @notice EIP-712 type a centre signs.
    bytes32 public constant OFFER_TYPEHASH =
        keccak256(
            "Offer(address centre,address generator,uint32 node,uint8 direction,uint64 amountWh,uint128 usd,uint32 period,uint32 justification,uint64 deadline,uint64 maxFillWh,uint8 baseline,uint8 baselineDays,uint32 epoch,uint256 nonce)"
        );
    /// @notice Over-delivery is not paid: the delivered fraction counted is capped at 100 %.
    uint16 public constant OVER_DELIVERY_CAP_BPS = 10_000;
    /// @notice Most positions in one settleMany / reportAndSettle call.
    uint256 public constant MAX_SETTLEMENT_BATCH = 500;
    /// @notice settleMany stops before an item when less gas than this is left (above one
    ///         settlement's worst case), so a batch never runs out of gas half-way.
    uint256 public constant SETTLEMENT_GAS_RESERVE = 60_000;

    /// @notice Source of reports and measurements.
    IGridOracle public immutable oracle;
    /// @notice Registered generators and their nodes.
    IGeneratorRegistry public immutable registry;

    uint32 private immutable _periodSeconds;
    uint32 private immutable _disputeWindow;
    uint32 private immutable _gateClosure;
    uint32 private immutable _grace;
    uint16 private immutable _horizon;
    uint16 private immutable _minDeliveredBps;
    uint16 private immutable _penaltyBps;

    /// @dev A generator's commitments in one period (ring entry period % horizon), and the hash of
    ///      one of its positions: the ring's second slot is rewritten (5,000 gas) instead of a fresh
    ///      slot per position (22,100) once the generator has traded for a horizon. A position finds
    ///      the slot busy (another open position: a second fill in the period, or one of a period a
    ///      horizon ago still unsettled) and is then stored in `_open` instead.
    // Packing: two slots already: 22 bytes of totals, then the hash.
    // solhint-disable-next-line gas-struct-packing
    struct Book {
        uint32 period;
        uint64 increaseWh;
        uint64 decreaseWh;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        bytes32 position;
    }

    /// @notice Deployment parameters of the market (see Terms; the period length and dispute
    ///         window come from the oracle).
    struct Params {
        uint32 gateClosureSeconds;
        uint32 settlementGraceSeconds;
        uint16 fillHorizonPeriods;
        uint16 minDeliveredBps;
        uint16 penaltyBps;
    }

    /// @dev Marks a book's position slot free after settlement (never a keccak256 output in practice),
    ///      so the next position rewrites a non-zero slot.
    bytes32 private constant FREE = bytes32(uint256(1));

    /// @dev Why a position cannot be settled now (Ready: it can).
    enum Readiness {
        Ready,
        Unknown,
        NotFinal,
        Unusable,
        Mismatch
    }

    mapping(address centre => mapping(uint256 wordPos => uint256 bits)) private _nonceBitmap;
    mapping(bytes32 offerHash => uint64 filledWh) private _filledWh;
    mapping(address generator => mapping(uint256 slot => Book)) private _books;
    mapping(bytes32 positionHash => bool) private _open;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants and revokes CENTRE_ROLE).
    /// @param centres Receive CENTRE_ROLE.
    /// @param usd_ USD token (8 decimals).
    /// @param kwh_ kWh-adjustment token (3 decimals).
    /// @param oracle_ The oracle (its period length and dispute window are cached here).
    /// @param registry_ The generator registry.
    /// @param params Gate closure, grace, fill horizon, minimum delivered fraction, penalty rate.
    constructor(
        address admin,
        address[] memory centres,
        IERC20 usd_,
        IERC20 kwh_,
        IGridOracle oracle_,
        IGeneratorRegistry registry_,
        Params memory params
    ) GridSwapVault(usd_, kwh_) EIP712("GridSwap Market", "2") {
        if (params.fillHorizonPeriods == 0 || params.minDeliveredBps > 10_000 || params.penaltyBps > 10_000)
            revert InvalidTerms(params.fillHorizonPeriods, params.minDeliveredBps, params.penaltyBps);
        oracle = oracle_;
        registry = registry_;
        _periodSeconds = oracle_.periodSeconds();
        _disputeWindow = oracle_.disputeWindow();
        _gateClosure = params.gateClosureSeconds;
        _grace = params.settlementGraceSeconds;
        _horizon = params.fillHorizonPeriods;
        _minDeliveredBps = params.minDeliveredBps;
        _penaltyBps = params.penaltyBps;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        for (uint256 i = 0; i < centres.length; ++i) _grantRole(CENTRE_ROLE, centres[i]);
    }

    // ------------------------------------------------------------------------------------------
    // Offers

    /// @inheritdoc IDemandResponseMarket
    function post(Offer calldata offer, bytes calldata signature) external returns (bytes32 offerHash) {
        _checkFields(offer);
        offerHash = _hashOffer(offer);
        _checkSignature(offerHash, signature, offer.centre);
        if (_closed(offer)) revert OfferNotOpen(offerHash, OfferStatus.Closed);
        if (!oracle.hasReport(offer.justification)) revert NoJustifyingReport(offer.justification);
        emit OfferPosted(offerHash, offer.centre, offer, signature, terms());
    }

    /// @inheritdoc IDemandResponseMarket
    function fill(
        Offer calldata offer,
        bytes calldata signature,
        uint64 amountWh
    ) external returns (bytes32 positionHash) {
        _checkFields(offer);
        if (amountWh == 0) revert ZeroAmount();
        if (amountWh > offer.maxFillWh) revert FillTooLarge(amountWh, offer.maxFillWh);
        bytes32 offerHash = _hashOffer(offer);
        _checkSignature(offerHash, signature, offer.centre);
        if (offer.generator != address(0) && offer.generator != msg.sender)
            revert NotOfferGenerator(offer.generator, msg.sender);
        uint32 node = registry.nodeOf(msg.sender);
        if (node != offer.node) revert GeneratorNotAtNode(msg.sender, offer.node, node);
        _takeFromOffer(offer, offerHash, amountWh);

        uint128 payment = GridSwapMath.paymentDown(offer.usd, amountWh, offer.amountWh);
        Account storage centre = _accounts[offer.centre];
        if (payment > centre.usd) revert InsufficientBalance(offer.centre, Asset.Usd, centre.usd, payment);
        // payment ≤ free USD, checked above.
        unchecked {
            centre.usd -= payment;
        }
        Account storage generator = _accounts[msg.sender];
        if (amountWh > generator.kwh) revert InsufficientBalance(msg.sender, Asset.Kwh, generator.kwh, amountWh);
        // amountWh ≤ free kWh, checked above.
        unchecked {
            generator.kwh -= amountWh;
        }

        Book storage book = _books[msg.sender][offer.period % _horizon];
        Position memory position = Position({
            offerHash: offerHash,
            centre: offer.centre,
            generator: msg.sender,
            period: offer.period,
            direction: offer.direction,
            baseline: offer.baseline,
            baselineDays: offer.baselineDays,
            amountWh: amountWh,
            committedBeforeWh: _commit(book, offer, amountWh),
            usd: payment
        });
        positionHash = keccak256(abi.encode(position));
        bytes32 slot = book.position;
        if (slot == bytes32(0) || slot == FREE) book.position = positionHash;
        else _open[positionHash] = true;
        emit Filled(positionHash, offerHash, msg.sender, position);
    }

    /// @inheritdoc IDemandResponseMarket
    function cancel(uint256 nonce) external {
        _cancel(nonce >> 8, 1 << (nonce & 0xff));
    }

    /// @inheritdoc IDemandResponseMarket
    function cancelNonces(uint256 wordPos, uint256 mask) external {
        _cancel(wordPos, mask);
    }

    /// @inheritdoc IDemandResponseMarket
    function cancelAll() external returns (uint32 epoch) {
        Account storage account = _accounts[msg.sender];
        epoch = account.epoch + 1;
        account.epoch = epoch;
        emit EpochAdvanced(msg.sender, epoch);
    }

    // ------------------------------------------------------------------------------------------
    // Settlement

    /// @inheritdoc IDemandResponseMarket
    function settle(Position calldata position) external returns (Settlement memory settlement) {
        bytes32 positionHash = keccak256(abi.encode(position));
        (Readiness readiness, IGridOracle.Record memory record) = _readiness(position, positionHash);
        if (readiness != Readiness.Ready) _revertNotReady(readiness, position, positionHash, record);
        return _settle(position, positionHash, record);
    }

    /// @inheritdoc IDemandResponseMarket
    function settleMany(Position[] calldata positions) external returns (uint256 settled, uint256 processed) {
        return _settleBatch(positions, type(uint256).max);
    }

    /// @inheritdoc IDemandResponseMarket
    function reportAndSettle(
        IGridOracle.Report calldata report,
        uint64 deadline,
        bytes[] calldata signatures,
        Position[] calldata positions,
        uint256 settlementGasBudget
    ) external nonReentrant returns (uint256 settled, uint256 processed) {
        if (positions.length > MAX_SETTLEMENT_BATCH) revert TooManyItems(positions.length, MAX_SETTLEMENT_BATCH);
        oracle.submitReport(report, deadline, signatures);
        return _settleBatch(positions, settlementGasBudget);
    }

    /// @inheritdoc IDemandResponseMarket
    function unwind(Position calldata position) external {
        bytes32 positionHash = keccak256(abi.encode(position));
        (Readiness readiness, ) = _readiness(position, positionHash);
        if (readiness == Readiness.Unknown) revert UnknownPosition(positionHash);
        uint256 unwindableAt = GridSwapMath.periodStart(position.period + 1, _periodSeconds) + _grace;
        if (block.timestamp < unwindableAt) revert GraceNotOver(positionHash, unwindableAt);
        if (readiness == Readiness.Ready) revert DeliveryMeasured(positionHash);

        _close(position, positionHash);
        _accounts[position.centre].usd += position.usd;
        _accounts[position.generator].kwh += position.amountWh;
        emit Unwound(positionHash, position.usd, position.amountWh);
    }

    // ------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IDemandResponseMarket
    function terms() public view returns (Terms memory) {
        return
            Terms({
                periodSeconds: _periodSeconds,
                gateClosureSeconds: _gateClosure,
                disputeWindowSeconds: _disputeWindow,
                settlementGraceSeconds: _grace,
                fillHorizonPeriods: _horizon,
                minDeliveredBps: _minDeliveredBps,
                overDeliveryCapBps: OVER_DELIVERY_CAP_BPS,
                penaltyBps: _penaltyBps
            });
    }

    /// @inheritdoc IDemandResponseMarket
    function hashOffer(Offer calldata offer) external view returns (bytes32) {
        return _hashOffer(offer);
    }

    /// @inheritdoc IDemandResponseMarket
    function hashPosition(Position calldata position) external pure returns (bytes32) {
        return keccak256(abi.encode(position));
    }

    /// @inheritdoc IDemandResponseMarket
    function offerStatus(Offer calldata offer) external view returns (OfferStatus status, uint64 filledWh) {
        return _offerStatus(offer, _hashOffer(offer));
    }

    /// @inheritdoc IDemandResponseMarket
    function isOpen(Position calldata position) external view returns (bool) {
        return _isOpen(position, keccak256(abi.encode(position)));
    }

    /// @inheritdoc IDemandResponseMarket
    function previewSettlement(
        Position calldata position
    ) external view returns (bool ready, Settlement memory settlement) {
        (Readiness readiness, IGridOracle.Record memory record) = _readiness(position, keccak256(abi.encode(position)));
        if (readiness != Readiness.Ready) return (false, settlement);
        return (true, _compute(position, record));
    }

    /// @inheritdoc IDemandResponseMarket
    function committedOf(
        address generator,
        uint32 period
    )
        external
        view
        returns (uint64 increaseWh, uint64 decreaseWh, IGridOracle.BaselineMethod baseline, uint8 baselineDays)
    {
        Book storage book = _books[generator][period % _horizon];
        if (book.period != period) return (0, 0, IGridOracle.BaselineMethod.Nominated, 0);
        return (book.increaseWh, book.decreaseWh, book.baseline, book.baselineDays);
    }

    /// @inheritdoc IDemandResponseMarket
    function nonceBitmap(address centre, uint256 wordPos) external view returns (uint256) {
        return _nonceBitmap[centre][wordPos];
    }

    /// @inheritdoc IDemandResponseMarket
    function epochOf(address centre) external view returns (uint32) {
        return _accounts[centre].epoch;
    }

    // ------------------------------------------------------------------------------------------
    // Internals: offers

    function _hashOffer(Offer calldata offer) private view returns (bytes32) {
        // Every Offer field is a static value type: abi.encode is EIP-712's encodeData.
        return _hashTypedDataV4(keccak256(abi.encode(OFFER_TYPEHASH, offer)));
    }

    function _checkFields(Offer calldata offer) private pure {
        if (offer.amountWh == 0 || offer.usd == 0 || offer.maxFillWh == 0) revert ZeroAmount();
        if (offer.node == 0) revert ZeroNode();
        bool rolling = offer.baseline == IGridOracle.BaselineMethod.RollingAverage;
        if (rolling ? (offer.baselineDays == 0 || offer.baselineDays > 10) : offer.baselineDays != 0)
            revert InvalidBaseline(offer.baseline, offer.baselineDays);
    }

    function _checkSignature(bytes32 offerHash, bytes calldata signature, address centre) private view {
        (address signer, , ) = ECDSA.tryRecover(offerHash, signature);
        if (signer != centre || signer == address(0)) revert WrongSigner(signer, centre);
        if (!hasRole(CENTRE_ROLE, centre)) revert NotCentre(centre);
    }

    /// @dev Where an offer stands: Closed (deadline, gate or horizon), EpochCancelled, NonceUsed,
    ///      Filled (partial fills reached the amount) or Open.
    function _offerStatus(
        Offer calldata offer,
        bytes32 offerHash
    ) private view returns (OfferStatus status, uint64 filledWh) {
        filledWh = _filledWh[offerHash];
        if (_closed(offer)) return (OfferStatus.Closed, filledWh);
        if (offer.epoch != _accounts[offer.centre].epoch) return (OfferStatus.EpochCancelled, filledWh);
        if (_nonceBitmap[offer.centre][offer.nonce >> 8] & (1 << (offer.nonce & 0xff)) != 0)
            return (OfferStatus.NonceUsed, filledWh);
        if (filledWh == offer.amountWh) return (OfferStatus.Filled, filledWh);
        return (OfferStatus.Open, filledWh);
    }

    /// @dev True past the offer's deadline, at or after its gate closure (delivery period start less
    ///      the gate margin), or when its period is beyond the fill horizon.
    function _closed(Offer calldata offer) private view returns (bool) {
        uint256 gate = GridSwapMath.periodStart(offer.period, _periodSeconds);
        uint256 horizonEnd = GridSwapMath.periodOf(block.timestamp, _periodSeconds) + uint256(_horizon);
        return
            block.timestamp > offer.deadline ||
            block.timestamp + _gateClosure >= gate ||
            uint256(offer.period) > horizonEnd;
    }

    /// @dev Records a fill of `amountWh` against the offer: a whole fill sets the nonce bit, a
    ///      partial one adds to the offer's filled Wh.
    function _takeFromOffer(Offer calldata offer, bytes32 offerHash, uint64 amountWh) private {
        (OfferStatus status, uint64 filledWh) = _offerStatus(offer, offerHash);
        if (status != OfferStatus.Open) revert OfferNotOpen(offerHash, status);
        if (amountWh == offer.amountWh && filledWh == 0) {
            _nonceBitmap[offer.centre][offer.nonce >> 8] |= 1 << (offer.nonce & 0xff);
        } else {
            // filledWh < amountWh (status Open) and both are uint64: the sum fits in uint256.
            uint256 total = uint256(filledWh) + amountWh;
            if (total > offer.amountWh) revert Overfill(offerHash, filledWh, amountWh, offer.amountWh);
            _filledWh[offerHash] = uint64(total);
        }
    }

    /// @dev Adds the fill to the generator's book for the offer's period and returns what it had
    ///      committed before in that direction. The ring slot of an earlier period is reused: its
    ///      gate has closed, since fills reach at most `_horizon` periods ahead.
    function _commit(
        Book storage book,
        Offer calldata offer,
        uint64 amountWh
    ) private returns (uint64 committedBeforeWh) {
        if (book.period != offer.period) {
            book.period = offer.period;
            book.baseline = offer.baseline;
            book.baselineDays = offer.baselineDays;
            book.increaseWh = 0;
            book.decreaseWh = 0;
        } else if (book.baseline != offer.baseline || book.baselineDays != offer.baselineDays) {
            revert BaselineConflict(msg.sender, offer.period, book.baseline, book.baselineDays);
        }
        if (offer.direction == Direction.Increase) {
            committedBeforeWh = book.increaseWh;
            book.increaseWh = committedBeforeWh + amountWh;
        } else {
            committedBeforeWh = book.decreaseWh;
            book.decreaseWh = committedBeforeWh + amountWh;
        }
    }

    function _cancel(uint256 wordPos, uint256 mask) private {
        _nonceBitmap[msg.sender][wordPos] |= mask;
        emit NoncesCancelled(msg.sender, wordPos, mask);
    }

    // ------------------------------------------------------------------------------------------
    // Internals: settlement

    function _readiness(
        Position calldata position,
        bytes32 positionHash
    ) private view returns (Readiness, IGridOracle.Record memory record) {
        if (!_isOpen(position, positionHash)) return (Readiness.Unknown, record);
        bool isFinal;
        (record, isFinal) = oracle.measurementOf(position.period, position.generator);
        if (!isFinal) return (Readiness.NotFinal, record);
        if (record.quality == IGridOracle.Quality.Missing || record.quality == IGridOracle.Quality.Bad)
            return (Readiness.Unusable, record);
        if (record.baseline != position.baseline || record.baselineDays != position.baselineDays)
            return (Readiness.Mismatch, record);
        return (Readiness.Ready, record);
    }

    function _isOpen(Position calldata position, bytes32 positionHash) private view returns (bool) {
        return _books[position.generator][position.period % _horizon].position == positionHash || _open[positionHash];
    }

    /// @dev Closes an open position wherever it is stored.
    function _close(Position calldata position, bytes32 positionHash) private {
        Book storage book = _books[position.generator][position.period % _horizon];
        if (book.position == positionHash) book.position = FREE;
        else delete _open[positionHash];
    }

    function _revertNotReady(
        Readiness readiness,
        Position calldata position,
        bytes32 positionHash,
        IGridOracle.Record memory record
    ) private pure {
        if (readiness == Readiness.Unknown) revert UnknownPosition(positionHash);
        if (readiness == Readiness.NotFinal)
            revert MeasurementNotFinal(position.period, position.generator, record.state);
        if (readiness == Readiness.Unusable)
            revert MeasurementUnusable(position.period, position.generator, record.quality);
        revert BaselineMismatch(record.baseline, record.baselineDays, position.baseline, position.baselineDays);
    }

    function _compute(
        Position calldata position,
        IGridOracle.Record memory record
    ) private view returns (Settlement memory s) {
        GridSwapMath.Outcome memory o = GridSwapMath.settle(
            position.amountWh,
            position.usd,
            position.committedBeforeWh,
            record.deliveredWh,
            position.direction == Direction.Increase,
            _minDeliveredBps,
            _penaltyBps
        );
        s.deliveredWh = o.deliveredWh;
        s.paidWh = o.paidWh;
        s.penaltyWh = o.penaltyWh;
        s.usdToGenerator = o.usdToGenerator;
        s.usdToCentre = position.usd - o.usdToGenerator;
        s.quality = record.quality;
    }

    /// @dev Moves the escrow of a ready position into both parties' free balances.
    function _settle(
        Position calldata position,
        bytes32 positionHash,
        IGridOracle.Record memory record
    ) private returns (Settlement memory s) {
        s = _compute(position, record);
        _close(position, positionHash);
        // paidWh + penaltyWh ≤ amountWh (penalty ≤ shortfall): the kWh split cannot underflow.
        uint64 kwhToCentre = s.paidWh + s.penaltyWh;
        Account storage centre = _accounts[position.centre];
        centre.usd += s.usdToCentre;
        centre.kwh += kwhToCentre;
        Account storage generator = _accounts[position.generator];
        generator.usd += s.usdToGenerator;
        generator.kwh += position.amountWh - kwhToCentre;
        emit Settled(positionHash, s);
    }

    /// @dev Settles what can be settled while the gas spent stays under `budget` and enough gas
    ///      remains for one more item; skips items that are not ready.
    function _settleBatch(
        Position[] calldata positions,
        uint256 budget
    ) private returns (uint256 settled, uint256 processed) {
        uint256 count = positions.length;
        if (count > MAX_SETTLEMENT_BATCH) revert TooManyItems(count, MAX_SETTLEMENT_BATCH);
        uint256 startGas = gasleft();
        for (; processed < count; ++processed) {
            uint256 left = gasleft();
            if (left < SETTLEMENT_GAS_RESERVE || startGas - left >= budget) break;
            Position calldata position = positions[processed];
            bytes32 positionHash = keccak256(abi.encode(position));
            (Readiness readiness, IGridOracle.Record memory record) = _readiness(position, positionHash);
            if (readiness != Readiness.Ready) continue;
            _settle(position, positionHash, record);
            ++settled;
        }
    }
}
