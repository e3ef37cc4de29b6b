// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDemandResponseMarket} from "./interfaces/IDemandResponseMarket.sol";
import {IGridOracle} from "./interfaces/IGridOracle.sol";
import {GridSwapVault} from "./GridSwapVault.sol";
import {GridSwapMath} from "./libraries/GridSwapMath.sol";

/// @title The market's books: each generator's commitment per delivery period, filled from the
///        vault, settled on the oracle's measurement or unwound.
/// @notice See IDemandResponseMarket for the settlement rule and units. DemandResponseMarket adds
///         the offers that fill the books; this contract keeps them (the ring of books per
///         generator and its overflow) and settles and unwinds them. Every term is immutable.
abstract contract MarketBooks is IDemandResponseMarket, GridSwapVault {
    /// @notice settleReport stops before an item when less gas than this is left (above one
    ///         settlement's worst case), so a batch never runs out of gas half-way.
    uint256 public constant SETTLEMENT_GAS_RESERVE = 60_000;

    /// @notice Source of reports and measurements.
    IGridOracle public immutable oracle;

    uint32 internal immutable _periodSeconds;
    uint32 internal immutable _disputeWindow;
    uint32 internal immutable _grace;
    uint16 internal immutable _horizon;
    uint16 internal immutable _minDeliveredBps;
    uint16 internal immutable _penaltyBps;

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

    mapping(address generator => mapping(uint256 ring => StoredBook)) private _books;
    mapping(address generator => mapping(uint32 period => StoredBook)) private _overflow;

    /// @param oracle_ The oracle (its period length and dispute window are cached here).
    /// @param settlementGraceSeconds A book unsettled this long after its period ends may unwind, s.
    /// @param fillHorizonPeriods Fills reach at most this many periods ahead (the length of the ring).
    /// @param minDeliveredBps Delivered fraction of a commitment below which nothing is paid (≤ 10,000).
    /// @param penaltyBps Part of the shortfall's commitment forfeited to the centre (≤ 10,000).
    constructor(
        IGridOracle oracle_,
        uint32 settlementGraceSeconds,
        uint16 fillHorizonPeriods,
        uint16 minDeliveredBps,
        uint16 penaltyBps
    ) {
        if (fillHorizonPeriods == 0 || minDeliveredBps > 10_000 || penaltyBps > 10_000)
            revert InvalidTerms(fillHorizonPeriods, minDeliveredBps, penaltyBps);
        oracle = oracle_;
        _periodSeconds = oracle_.periodSeconds();
        _disputeWindow = oracle_.disputeWindow();
        _grace = settlementGraceSeconds;
        _horizon = fillHorizonPeriods;
        _minDeliveredBps = minDeliveredBps;
        _penaltyBps = penaltyBps;
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

    // ------------------------------------------------------------------------------------------
    // Internals: books

    /// @dev Adds a fill to the generator's book for the offer's period, opening the book on its
    ///      first fill (direction, centre, baseline and nomination fixed then), and returns the
    ///      book's committed Wh after it.
    function _addToBook(
        Offer calldata offer,
        int64 nominatedWh,
        uint32 generatorIndex,
        uint64 takenWh,
        uint128 payment
    ) internal returns (uint64 committedWh) {
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
