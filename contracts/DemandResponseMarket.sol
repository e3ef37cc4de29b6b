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

/// @title Signed demand-response offers, filled from the vault into generators' books, settled on
///        the oracle's measurement.
/// @notice See IDemandResponseMarket for the life of an offer, the settlement rule and units, and
///         IGridSwapVault for balances. The power quality centres hold CENTRE_ROLE; the admin only
///         grants and revokes it. Every term is immutable.
contract DemandResponseMarket is IDemandResponseMarket, GridSwapVault, AccessControl, EIP712 {
    /// @notice May sign offers (the power quality centres).
    bytes32 public constant CENTRE_ROLE = keccak256("CENTRE_ROLE");
    /// @notice EIP-712 type a centre signs.
    bytes32 public constant OFFER_TYPEHASH =
        keccak256(
            "Offer(address centre,address generator,uint32 node,uint8 direction,uint64 amountWh,uint128 usd,uint32 period,uint32 justification,uint64 deadline,uint64 minFillWh,uint64 maxFillWh,uint8 baseline,uint8 baselineDays,uint32 epoch,uint256 nonce)"
        );
    /// @notice Over-delivery is not paid: the delivered fraction counted is capped at 100 %.
    uint16 public constant OVER_DELIVERY_CAP_BPS = 10_000;
    /// @notice Most offers in one postMany call.
    uint256 public constant MAX_POST_BATCH = 200;
    /// @notice settleReport stops before an item when less gas than this is left (above one
    ///         settlement's worst case), so a batch never runs out of gas half-way.
    uint256 public constant SETTLEMENT_GAS_RESERVE = 60_000;

    /// @notice Source of reports and measurements.
    IGridOracle public immutable oracle;
    /// @notice Registered generators: node, meter key, capacity.
    IGeneratorRegistry public immutable registry;

    uint32 private immutable _periodSeconds;
    uint32 private immutable _disputeWindow;
    uint32 private immutable _gateClosure;
    uint32 private immutable _grace;
    uint16 private immutable _horizon;
    uint16 private immutable _minDeliveredBps;
    uint16 private immutable _penaltyBps;

    /// @notice Deployment parameters of the market (see Terms; the period length and dispute
    ///         window come from the oracle).
    struct Params {
        uint32 gateClosureSeconds;
        uint32 settlementGraceSeconds;
        uint16 fillHorizonPeriods;
        uint16 minDeliveredBps;
        uint16 penaltyBps;
    }

    /// @dev A generator's book as stored: two slots. Books live in a ring per generator (entry
    ///      period % horizon), rewritten once the generator has traded for a horizon (5,000 gas
    ///      a slot instead of 22,100). A period whose ring entry still holds an OPEN book of an
    ///      earlier period (unsettled after a horizon) goes to `_overflow` instead, and the ring
    ///      entry remembers it (`overflowPeriod`) so the period's later fills find it: at most one
    ///      period per ring entry is fillable at a time (fills reach at most `horizon` periods ahead).
    // Exactly two slots as laid out (solhint's packing heuristic does not count enum widths).
    // solhint-disable-next-line gas-struct-packing
    struct StoredBook {
        // slot 0: 4 + 1 + 1 + 1 + 1 + 8 + 12 + 4 = 32 bytes
        uint32 period;
        BookState state;
        Direction direction;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        uint64 committedWh;
        uint96 usd;
        uint32 generatorIndex;
        // slot 1: 20 + 8 + 4 = 32 bytes
        address centre;
        int64 nominatedWh;
        uint32 overflowPeriod;
    }

    /// @dev The Wh partial fills have taken under a nonce and the offer they bound it to (the top
    ///      24 bytes of its hash). One slot, written only by fills that leave part of an offer
    ///      (a whole fill spends the nonce's bit instead).
    struct PartialFill {
        uint64 filledWh;
        bytes24 offerTag;
    }

    mapping(address centre => mapping(uint256 wordPos => uint256 bits)) private _nonceBitmap;
    mapping(address centre => mapping(uint256 nonce => PartialFill)) private _partials;
    mapping(address generator => mapping(uint256 ring => StoredBook)) private _books;
    mapping(address generator => mapping(uint32 period => StoredBook)) private _overflow;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants and revokes CENTRE_ROLE).
    /// @param centres Receive CENTRE_ROLE.
    /// @param usd_ USD token (8 decimals).
    /// @param kwh_ kWh-adjustment token (3 decimals), another contract than usd_.
    /// @param treasury_ Receives tokens swept from above what the vault accounts for.
    /// @param oracle_ The oracle (its period length and dispute window are cached here).
    /// @param registry_ The generator registry.
    /// @param params Gate closure, grace, fill horizon, minimum delivered fraction, penalty rate.
    constructor(
        address admin,
        address[] memory centres,
        IERC20 usd_,
        IERC20 kwh_,
        address treasury_,
        IGridOracle oracle_,
        IGeneratorRegistry registry_,
        Params memory params
    ) GridSwapVault(usd_, kwh_, treasury_) EIP712("GridSwap Market", "3") {
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
        emit TermsSet(terms());
    }

    // ------------------------------------------------------------------------------------------
    // Offers

    /// @inheritdoc IDemandResponseMarket
    function post(Offer calldata offer, bytes calldata signature) external returns (bytes32 offerHash) {
        return _post(offer, signature);
    }

    /// @inheritdoc IDemandResponseMarket
    function postMany(Offer[] calldata offers, bytes[] calldata signatures) external {
        uint256 count = offers.length;
        if (count > MAX_POST_BATCH) revert TooManyItems(count, MAX_POST_BATCH);
        if (signatures.length != count) revert LengthMismatch(count, signatures.length);
        for (uint256 i = 0; i < count; ++i) _post(offers[i], signatures[i]);
    }

    /// @inheritdoc IDemandResponseMarket
    function fill(
        Offer calldata offer,
        bytes calldata signature,
        uint64 requestedWh,
        int64 nominatedWh
    ) external returns (uint64 takenWh) {
        _checkFields(offer);
        if (requestedWh == 0) revert ZeroAmount();
        bytes32 offerHash = _hashOffer(offer);
        _checkSignature(offerHash, signature, offer.centre);
        if (offer.generator != address(0) && offer.generator != msg.sender)
            revert NotOfferGenerator(offer.generator, msg.sender);
        (uint32 node, , uint32 capacityW, uint32 index) = registry.generatorOf(msg.sender);
        if (node != offer.node) revert GeneratorNotAtNode(msg.sender, offer.node, node);
        _checkNomination(offer, nominatedWh, capacityW);

        uint64 filledBeforeWh;
        (takenWh, filledBeforeWh) = _takeFromOffer(offer, offerHash, requestedWh);
        _escrow(offer, offerHash, filledBeforeWh, takenWh, nominatedWh, index);
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
    function settle(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external returns (Settlement memory settlement) {
        StoredBook storage book = _bookAt(generator, period);
        (IGridOracle.Record memory record, bool isFinal) = _measurementFor(book, generator, period, p);
        Readiness readiness = _readiness(book, record, isFinal);
        if (readiness != Readiness.Ready) _revertNotReady(readiness, book, generator, period, record);
        return _settle(book, generator, period, record);
    }

    /// @inheritdoc IDemandResponseMarket
    function settleReport(
        uint32 reportPeriod,
        IGridOracle.Measurement[] calldata measurements
    ) external returns (uint256 settled, uint256 processed) {
        return _settleReport(reportPeriod, measurements, type(uint256).max);
    }

    /// @inheritdoc IDemandResponseMarket
    function reportAndSettle(
        IGridOracle.Report calldata report,
        uint64 deadline,
        bytes[] calldata signatures,
        uint32 settlePeriod,
        IGridOracle.Measurement[] calldata settleMeasurements,
        uint256 settlementGasBudget
    ) external nonReentrant returns (uint256 settled, uint256 processed) {
        oracle.submitReport(report, deadline, signatures);
        if (settleMeasurements.length == 0) return (0, 0);
        return _settleReport(settlePeriod, settleMeasurements, settlementGasBudget);
    }

    /// @inheritdoc IDemandResponseMarket
    function unwind(address generator, uint32 period, IGridOracle.MeasurementProof calldata p) external {
        StoredBook storage book = _bookAt(generator, period);
        if (book.state != BookState.Open) revert NoOpenBook(generator, period);
        (IGridOracle.Record memory record, bool isFinal) = oracle.measurementOf(period, generator, p);
        if (_readiness(book, record, isFinal) == Readiness.Ready) revert DeliveryMeasured(generator, period);
        uint256 at = _unwindableAt(book, generator, period, record);
        if (block.timestamp < at) revert NotUnwindableYet(generator, period, at);

        book.state = BookState.Unwound;
        uint96 usdBack = book.usd;
        uint64 kwhBack = book.committedWh;
        address centre = book.centre;
        _accounts[centre].usd += usdBack;
        _accounts[generator].kwh += kwhBack;
        emit Unwound(generator, period, centre, usdBack, kwhBack);
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
    function offerStatus(Offer calldata offer) external view returns (OfferStatus status, uint64 filledWh) {
        return _offerStatus(offer, _hashOffer(offer));
    }

    /// @inheritdoc IDemandResponseMarket
    function bookOf(address generator, uint32 period) external view returns (Book memory) {
        StoredBook storage b = _bookAt(generator, period);
        Book memory book;
        book.period = period;
        if (b.state == BookState.None) return book;
        book.state = b.state;
        book.direction = b.direction;
        book.baseline = b.baseline;
        book.baselineDays = b.baselineDays;
        book.committedWh = b.committedWh;
        book.usd = b.usd;
        book.generatorIndex = b.generatorIndex;
        book.centre = b.centre;
        book.nominatedWh = b.nominatedWh;
        return book;
    }

    /// @inheritdoc IDemandResponseMarket
    function previewSettlement(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external view returns (bool ready, Settlement memory settlement) {
        StoredBook storage book = _bookAt(generator, period);
        (IGridOracle.Record memory record, bool isFinal) = _measurementFor(book, generator, period, p);
        if (_readiness(book, record, isFinal) != Readiness.Ready) return (false, settlement);
        return (true, _compute(book, record));
    }

    /// @inheritdoc IDemandResponseMarket
    function unwindableAt(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external view returns (uint256) {
        StoredBook storage book = _bookAt(generator, period);
        if (book.state != BookState.Open) return 0;
        (IGridOracle.Record memory record, ) = oracle.measurementOf(period, generator, p);
        return _unwindableAt(book, generator, period, record);
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

    function _post(Offer calldata offer, bytes calldata signature) private returns (bytes32 offerHash) {
        _checkFields(offer);
        offerHash = _hashOffer(offer);
        _checkSignature(offerHash, signature, offer.centre);
        if (_closed(offer)) revert OfferNotOpen(offerHash, OfferStatus.Closed);
        if (!oracle.hasReport(offer.justification)) revert NoJustifyingReport(offer.justification);
        emit OfferPosted(offerHash, offer.centre, offer, signature);
    }

    function _hashOffer(Offer calldata offer) private view returns (bytes32) {
        // Every Offer field is a static value type: abi.encode is EIP-712's encodeData.
        return _hashTypedDataV4(keccak256(abi.encode(OFFER_TYPEHASH, offer)));
    }

    function _checkFields(Offer calldata offer) private pure {
        if (offer.amountWh == 0 || offer.usd == 0) revert ZeroAmount();
        if (offer.minFillWh == 0 || offer.minFillWh > offer.maxFillWh)
            revert InvalidFillSizes(offer.minFillWh, offer.maxFillWh);
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

    /// @dev A Nominated offer needs 0 ≤ nominatedWh ≤ capacity × period (W·s / 3600 = Wh); the
    ///      other methods compute the baseline from the meter's history and take no nomination.
    function _checkNomination(Offer calldata offer, int64 nominatedWh, uint64 capacityW) private view {
        if (offer.baseline != IGridOracle.BaselineMethod.Nominated) {
            if (nominatedWh != 0) revert InvalidNomination(nominatedWh, 0);
            return;
        }
        // capacityW < 2^64 and the period < 2^32 s: the product fits in uint256.
        uint256 maxWh = (uint256(capacityW) * _periodSeconds) / 3600;
        if (maxWh > uint64(type(int64).max)) maxWh = uint64(type(int64).max);
        if (nominatedWh < 0 || uint256(uint64(nominatedWh)) > maxWh)
            revert InvalidNomination(nominatedWh, uint64(maxWh));
    }

    /// @dev Where an offer stands: Closed (deadline, gate or horizon), EpochCancelled, NonceUsed
    ///      (bit set, or the nonce bound to another offer), Filled (fills reached its amount) or Open.
    function _offerStatus(
        Offer calldata offer,
        bytes32 offerHash
    ) private view returns (OfferStatus status, uint64 filledWh) {
        PartialFill memory part = _partials[offer.centre][offer.nonce];
        bool mine = part.offerTag == bytes24(offerHash);
        if (mine) filledWh = part.filledWh;
        if (_closed(offer)) return (OfferStatus.Closed, filledWh);
        if (offer.epoch != _accounts[offer.centre].epoch) return (OfferStatus.EpochCancelled, filledWh);
        if (part.offerTag != bytes24(0) && !mine) return (OfferStatus.NonceUsed, 0);
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

    /// @dev Takes min(requested, maxFill, remaining) of the offer, at least min(minFill, remaining):
    ///      a whole fill in one go spends the nonce's bit; any other fill records the Wh taken under
    ///      the nonce, bound to this offer. Returns the Wh taken and the offer's filled Wh before.
    function _takeFromOffer(
        Offer calldata offer,
        bytes32 offerHash,
        uint64 requestedWh
    ) private returns (uint64 takenWh, uint64 filledBeforeWh) {
        (OfferStatus status, uint64 filledWh) = _offerStatus(offer, offerHash);
        if (status != OfferStatus.Open) revert OfferNotOpen(offerHash, status);
        filledBeforeWh = filledWh;
        // Open: filledWh < amountWh.
        uint64 remaining = offer.amountWh - filledWh;
        takenWh = requestedWh < offer.maxFillWh ? requestedWh : offer.maxFillWh;
        if (takenWh > remaining) takenWh = remaining;
        uint64 minimum = offer.minFillWh < remaining ? offer.minFillWh : remaining;
        if (takenWh < minimum) revert FillBelowMinimum(takenWh, minimum);
        if (takenWh == offer.amountWh) {
            _nonceBitmap[offer.centre][offer.nonce >> 8] |= 1 << (offer.nonce & 0xff);
        } else {
            // filledWh + takenWh ≤ amountWh.
            _partials[offer.centre][offer.nonce] = PartialFill(filledWh + takenWh, bytes24(offerHash));
        }
    }

    /// @dev Adds a fill to the generator's book for the offer's period, opening the book on its
    ///      first fill (direction, centre, baseline and nomination fixed then), and returns the
    ///      book's committed Wh after it.
    function _addToBook(
        Offer calldata offer,
        int64 nominatedWh,
        uint32 generatorIndex,
        uint64 takenWh,
        uint128 payment
    ) private returns (uint64 committedWh) {
        if (payment > type(uint96).max) revert BookOverflow(msg.sender, offer.period);
        uint32 period = offer.period;
        StoredBook storage ring = _books[msg.sender][period % _horizon];
        StoredBook storage book = ring;
        if (ring.period != period) {
            if (ring.state == BookState.Open) {
                // The entry still holds an unsettled book of an earlier period.
                ring.overflowPeriod = period;
                book = _overflow[msg.sender][period];
            } else if (ring.overflowPeriod == period) {
                book = _overflow[msg.sender][period];
            } else {
                ring.state = BookState.None; // a closed book of an earlier period: reused
            }
        }
        if (book.state == BookState.None) {
            // Both slots written whole.
            book.period = period;
            book.state = BookState.Open;
            book.direction = offer.direction;
            book.baseline = offer.baseline;
            book.baselineDays = offer.baselineDays;
            book.committedWh = takenWh;
            // payment ≤ 2^96 − 1, checked above.
            book.usd = uint96(payment);
            book.generatorIndex = generatorIndex;
            book.centre = offer.centre;
            book.nominatedWh = nominatedWh;
            book.overflowPeriod = 0;
            return takenWh;
        }
        if (book.direction != offer.direction) revert DirectionConflict(msg.sender, period, book.direction);
        if (book.centre != offer.centre) revert CentreConflict(msg.sender, period, book.centre);
        if (book.baseline != offer.baseline || book.baselineDays != offer.baselineDays)
            revert BaselineConflict(msg.sender, period, book.baseline, book.baselineDays);
        if (book.nominatedWh != nominatedWh)
            revert NominationConflict(msg.sender, period, book.nominatedWh, nominatedWh);
        committedWh = book.committedWh + takenWh;
        book.committedWh = committedWh;
        uint256 usdHeld = uint256(book.usd) + payment;
        if (usdHeld > type(uint96).max) revert BookOverflow(msg.sender, offer.period);
        book.usd = uint96(usdHeld);
    }

    /// @dev Moves the centre's share of the USD and the generator's kWh of a fill into its book.
    function _escrow(
        Offer calldata offer,
        bytes32 offerHash,
        uint64 filledBeforeWh,
        uint64 takenWh,
        int64 nominatedWh,
        uint32 generatorIndex
    ) private {
        uint128 payment = GridSwapMath.fillPayment(offer.usd, filledBeforeWh, takenWh, offer.amountWh);
        if (payment == 0) revert PaymentRoundsToZero(offerHash, takenWh);
        Account storage centre = _accounts[offer.centre];
        if (payment > centre.usd) revert InsufficientBalance(offer.centre, Asset.Usd, centre.usd, payment);
        // payment ≤ free USD, checked above.
        unchecked {
            centre.usd -= payment;
        }
        Account storage generator = _accounts[msg.sender];
        if (takenWh > generator.kwh) revert InsufficientBalance(msg.sender, Asset.Kwh, generator.kwh, takenWh);
        // takenWh ≤ free kWh, checked above.
        unchecked {
            generator.kwh -= takenWh;
        }
        uint64 bookCommittedWh = _addToBook(offer, nominatedWh, generatorIndex, takenWh, payment);
        emit Filled(
            offerHash,
            msg.sender,
            offer.period,
            Fill({
                centre: offer.centre,
                direction: offer.direction,
                amountWh: takenWh,
                usd: payment,
                offerFilledWh: filledBeforeWh + takenWh,
                bookCommittedWh: bookCommittedWh,
                nominatedWh: nominatedWh
            })
        );
    }

    function _cancel(uint256 wordPos, uint256 mask) private {
        _nonceBitmap[msg.sender][wordPos] |= mask;
        emit NoncesCancelled(msg.sender, wordPos, mask);
    }

    // ------------------------------------------------------------------------------------------
    // Internals: settlement

    /// @dev Why a book cannot be settled now (Ready: it can).
    enum Readiness {
        Ready,
        NoBook,
        NotFinal,
        WrongIndex,
        Mismatch
    }

    /// @dev The stored book of `generator` in `period`: its ring entry when that holds the period,
    ///      else its overflow entry (state None when the generator never filled in that period).
    function _bookAt(address generator, uint32 period) private view returns (StoredBook storage book) {
        book = _books[generator][period % _horizon];
        if (book.period != period || book.state == BookState.None) book = _overflow[generator][period];
    }

    /// @dev The oracle's measurement of an open book (an empty record for a book that is not open).
    function _measurementFor(
        StoredBook storage book,
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) private view returns (IGridOracle.Record memory record, bool isFinal) {
        if (book.state != BookState.Open) return (record, false);
        return oracle.measurementOf(period, generator, p);
    }

    function _readiness(
        StoredBook storage book,
        IGridOracle.Record memory record,
        bool isFinal
    ) private view returns (Readiness) {
        if (book.state != BookState.Open) return Readiness.NoBook;
        if (!isFinal) return Readiness.NotFinal;
        if (record.generatorIndex != book.generatorIndex) return Readiness.WrongIndex;
        if (record.baseline != book.baseline || record.baselineDays != book.baselineDays) return Readiness.Mismatch;
        return Readiness.Ready;
    }

    /// @dev The later of the period's end plus the grace time and the end of the dispute window
    ///      of the measurement shown for the book (reported or corrected). A measurement that was
    ///      reported must be shown: its window decides.
    function _unwindableAt(
        StoredBook storage book,
        address generator,
        uint32 period,
        IGridOracle.Record memory record
    ) private view returns (uint256 at) {
        at = GridSwapMath.periodStart(period + 1, _periodSeconds) + _grace;
        if (record.state == IGridOracle.MeasurementState.None) {
            if (oracle.isMeasured(period, book.generatorIndex)) revert MeasurementNotShown(generator, period);
        } else {
            uint256 windowEnd = uint256(record.recordedAt) + _disputeWindow;
            if (windowEnd > at) at = windowEnd;
        }
    }

    function _revertNotReady(
        Readiness readiness,
        StoredBook storage book,
        address generator,
        uint32 period,
        IGridOracle.Record memory record
    ) private view {
        if (readiness == Readiness.NoBook) revert NoOpenBook(generator, period);
        if (readiness == Readiness.NotFinal) revert MeasurementNotFinal(period, generator, record.state);
        if (readiness == Readiness.WrongIndex)
            revert GeneratorIndexMismatch(record.generatorIndex, book.generatorIndex);
        revert BaselineMismatch(record.baseline, record.baselineDays, book.baseline, book.baselineDays);
    }

    function _compute(
        StoredBook storage book,
        IGridOracle.Record memory record
    ) private view returns (Settlement memory s) {
        bool increase = book.direction == Direction.Increase;
        // A measurement still Missing or Bad when it is final counts as no delivery: the penalty
        // applies, so withholding or spoiling meter data never beats delivering (a generator's
        // own signed readings correct it inside the dispute window).
        int256 credited = (record.quality == IGridOracle.Quality.Missing || record.quality == IGridOracle.Quality.Bad)
            ? int256(0)
            : GridSwapMath.creditedDelivery(
                book.baseline == IGridOracle.BaselineMethod.Nominated,
                book.nominatedWh,
                record.actualWh,
                record.deliveredWh,
                increase
            );
        uint64 committedWh = book.committedWh;
        uint128 usdHeld = book.usd;
        GridSwapMath.Outcome memory o = GridSwapMath.settle(
            committedWh,
            usdHeld,
            credited,
            increase,
            _minDeliveredBps,
            _penaltyBps
        );
        s.committedWh = committedWh;
        // |credited| ≤ |actual| + |baseline| < 2^64; clamp to int64 for the record (never reached
        // by int64 meter data in practice, and deliveredWh is computed from the unclamped value).
        s.creditedWh = credited > type(int64).max
            ? type(int64).max
            : (credited < type(int64).min ? type(int64).min : int64(credited));
        s.deliveredWh = o.deliveredWh;
        s.paidWh = o.paidWh;
        s.penaltyWh = o.penaltyWh;
        s.usdToGenerator = o.usdToGenerator;
        s.usdToCentre = usdHeld - o.usdToGenerator;
        s.quality = record.quality;
    }

    /// @dev Moves the escrow of a ready book into both parties' free balances.
    function _settle(
        StoredBook storage book,
        address generator,
        uint32 period,
        IGridOracle.Record memory record
    ) private returns (Settlement memory s) {
        s = _compute(book, record);
        book.state = BookState.Settled;
        // paidWh + penaltyWh ≤ committedWh (penalty ≤ shortfall): the kWh split cannot underflow.
        uint64 kwhToCentre = s.paidWh + s.penaltyWh;
        address centreAddress = book.centre;
        Account storage centre = _accounts[centreAddress];
        centre.usd += s.usdToCentre;
        centre.kwh += kwhToCentre;
        Account storage gen = _accounts[generator];
        gen.usd += s.usdToGenerator;
        gen.kwh += s.committedWh - kwhToCentre;
        emit Settled(generator, period, centreAddress, s);
    }

    /// @dev Settles the open books report `reportPeriod` measured while the gas spent stays under
    ///      `budget` and enough gas remains for one more item; skips items that are not ready.
    ///      The measurements come from calldata (the oracle checked the list against its root);
    ///      a dispute or correction the oracle holds for one replaces it.
    function _settleReport(
        uint32 reportPeriod,
        IGridOracle.Measurement[] calldata measurements,
        uint256 budget
    ) private returns (uint256 settled, uint256 processed) {
        uint256 startGas = gasleft();
        (uint32 recordedAt, uint256[] memory exceptionAt, IGridOracle.Record[] memory exceptions) = oracle
            .measurementsOf(reportPeriod, measurements);
        bool windowOver = block.timestamp >= uint256(recordedAt) + _disputeWindow;
        uint256 next; // the next exception
        uint256 count = measurements.length;
        for (; processed < count; ++processed) {
            uint256 left = gasleft();
            if (left < SETTLEMENT_GAS_RESERVE || startGas - left >= budget) break;
            IGridOracle.Measurement calldata m = measurements[processed];
            IGridOracle.Record memory record;
            bool isFinal;
            if (next < exceptionAt.length && exceptionAt[next] == processed) {
                record = exceptions[next];
                ++next;
                isFinal = record.state == IGridOracle.MeasurementState.Corrected;
            } else {
                record = IGridOracle.Record({
                    deliveredWh: m.deliveredWh,
                    actualWh: m.actualWh,
                    quality: m.quality,
                    baseline: m.baseline,
                    baselineDays: m.baselineDays,
                    recordedAt: recordedAt,
                    state: IGridOracle.MeasurementState.Reported,
                    generatorIndex: m.generatorIndex
                });
                isFinal = windowOver;
            }
            StoredBook storage book = _bookAt(m.generator, m.period);
            if (_readiness(book, record, isFinal) != Readiness.Ready) continue;
            _settle(book, m.generator, m.period, record);
            ++settled;
        }
    }
}
