// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGridOracle} from "./IGridOracle.sol";
import {IGridSwapVault} from "./IGridSwapVault.sol";
import {IBaselineErrors, IBatchErrors, INodeErrors} from "./IGridSwapErrors.sol";

/// @title Signed demand-response offers filled from the vault into generators' commitments, settled
///        on the oracle's measurement.
/// @notice Units: USD in 1e-8 USD; energy in Wh (kWh-token units); periods and times as in
///         IGridOracle (the period length is read from the oracle at construction); fractions in
///         basis points (1 bps = 0.01 %).
///
///         Life of an offer:
///         1. The centre (CENTRE_ROLE) signs an Offer off chain (EIP-712): buy `amountWh` of
///            adjustment in `direction` at `node` during `period`, for `usd` in total, fillable
///            until `deadline`, in fills of `minFillWh`..`maxFillWh`. `post`/`postMany` is the
///            bulletin board: it checks the signature and emits every field; it stores nothing.
///         2. A registered generator at the node (or the one named) fills part or all of it in
///            ONE transaction, before the delivery period starts less the gate closure. A fill
///            takes min(requested, maxFillWh, what is left of the offer) — never reverts because
///            someone took part of the offer first — and refuses less than minFillWh (except the
///            offer's last remainder). The nonce is the offer's identity: once a fill has bound a
///            nonce to an offer, no other offer under that nonce can be filled, so one nonce never
///            commits more than the first filled offer's amount.
///            The generator's free kWh (the commitment, equal to the Wh taken) and the centre's
///            free USD (its cumulative share ⌊usd·(before+taken)/amount⌋ − ⌊usd·before/amount⌋,
///            exact in total however the offer is cut) move into the escrow of the generator's
///            BOOK for that period: one commitment per generator and period — one direction, one
///            centre, one baseline — holding every fill's Wh and USD together.
///         3. Baseline: with the Nominated method the generator's own nomination (its planned
///            output for the period, Wh, 0..its registered capacity × period) is fixed by its
///            first fill of the period and cannot change. The oracle measures each generator by
///            its own meter; against a Nominated baseline the credited delivery never uses a
///            baseline more favourable to the generator than its nomination.
///         4. Once the oracle's measurement of the generator in the period is final,
///            anyone settles the book on the WHOLE commitment, whatever fills made it: `settle`
///            with the measurement and its Merkle proof, `settleReport` with a report's whole
///            measurement list (every book it measured), or pushed by `reportAndSettle`.
///            The measurement must be under the registry index the book recorded at its first fill:
///               delivered = clamp(credited delivery in the book's direction, 0, committedWh)
///               paid      = delivered if delivered ≥ committedWh · minDeliveredBps / 10⁴, else 0
///               generator ← ⌊usd · paid / committedWh⌋ USD, and its commitment less the centre's part
///               centre    ← the rest of the USD, paid Wh (the purchased leg) and the penalty
///                           ⌈(committedWh − paid) · penaltyBps / 10⁴⌉ Wh (rounded against the defaulter)
///            Over-delivery above the commitment is not paid (cap 100 %). A final measurement
///            of quality Missing or Bad credits no delivery (the penalty applies).
///         5. A book with no final measurement unwinds — both escrows return — only once
///            `settlementGrace` has passed after its period AND the dispute window of any
///            measurement reported or corrected for it has closed: nothing unwinds while a
///            measurement can still become final (when one was reported, the unwinder must show
///            it, with its proof). Only an oracle that never measured the book (or left a dispute
///            uncorrected) lets it unwind.
///         An unfilled offer holds nothing: the centre's USD stays in its free balance until a
///         fill, so an expired offer needs no refund. Cancel one nonce, up to 256 at once (a
///         nonce bitmap word, as Permit2), or every offer signed so far (bump the epoch).
interface IDemandResponseMarket is IGridSwapVault, INodeErrors, IBaselineErrors, IBatchErrors {
    /// @notice Raise (Increase) or lower (Decrease) output against the baseline.
    enum Direction {
        Increase,
        Decrease
    }

    /// @notice Where an offer stands (offerStatus). A fill needs Open.
    /// @dev Open: fillable now (maybe partly filled). Filled: fills reached its amount.
    ///      NonceUsed: its nonce is spent — filled whole in one fill, cancelled, or bound to another
    ///      offer by a fill. EpochCancelled: the centre's epoch moved past the offer's. Closed: its
    ///      deadline or its delivery period's gate closure has passed, or the period is beyond the
    ///      fill horizon.
    enum OfferStatus {
        Open,
        Filled,
        NonceUsed,
        EpochCancelled,
        Closed
    }

    /// @notice Where a generator's book for a period stands.
    /// @dev None: no fill. Open: escrowed, waiting for settlement. Settled / Unwound: closed.
    enum BookState {
        None,
        Open,
        Settled,
        Unwound
    }

    /// @notice What a centre signs (EIP-712 type Offer, field order as here; enums as uint8).
    /// @param centre Signer and payer (CENTRE_ROLE).
    /// @param generator Only this wallet may fill; zero = any registered generator at `node`.
    /// @param node Grid node (bus number) where the adjustment is needed.
    /// @param direction Raise or lower output.
    /// @param amountWh Adjustment bought, Wh: the quantity `usd` prices.
    /// @param usd Payment for the whole amount fully delivered, 1e-8 USD.
    /// @param period Delivery period.
    /// @param justification Period of the oracle report that justified the offer (checked by post).
    /// @param deadline Last second a fill is accepted (Unix s); fills also close at the gate.
    /// @param minFillWh Smallest fill accepted, Wh (≥ 1; the offer's last remainder may be smaller).
    /// @param maxFillWh Largest single fill, Wh (spreads one adjustment over several units).
    /// @param baseline Baseline method delivery is measured against.
    /// @param baselineDays Days of a RollingAverage baseline (1..10), else 0.
    /// @param epoch The centre's epoch when signing (cancelAll voids lower epochs).
    /// @param nonce Unordered nonce (bitmap word nonce >> 8, bit nonce & 0xff): the offer's identity.
    // Packing: never stored; the field order is the EIP-712 type.
    // solhint-disable-next-line gas-struct-packing
    struct Offer {
        address centre;
        address generator;
        uint32 node;
        Direction direction;
        uint64 amountWh;
        uint128 usd;
        uint32 period;
        uint32 justification;
        uint64 deadline;
        uint64 minFillWh;
        uint64 maxFillWh;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        uint32 epoch;
        uint256 nonce;
    }

    /// @notice A generator's commitment in one delivery period: every fill of the period together.
    /// @param period Delivery period.
    /// @param state None, Open, Settled or Unwound.
    /// @param direction The direction of every fill in it.
    /// @param baseline The baseline method of every fill in it.
    /// @param baselineDays Days of a RollingAverage baseline, else 0.
    /// @param committedWh Wh committed (= the generator's kWh in escrow while Open).
    /// @param usd USD in escrow for full delivery, 1e-8 USD (at most 2^96 − 1).
    /// @param generatorIndex The generator's registry index at its first fill (its measurement's).
    /// @param centre The centre whose offers were filled (one per book).
    /// @param nominatedWh The generator's nomination (planned output in the period), Wh; 0 unless Nominated.
    // Packing: two slots in storage (the market's own layout); this is the view.
    // solhint-disable-next-line gas-struct-packing
    struct Book {
        uint32 period;
        BookState state;
        Direction direction;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        uint64 committedWh;
        uint96 usd;
        uint32 generatorIndex;
        address centre;
        int64 nominatedWh;
    }

    /// @notice One fill, as emitted (history; settlement reads the book).
    /// @param centre The offer's centre.
    /// @param direction The offer's direction.
    /// @param amountWh Wh taken by this fill (= kWh commitment escrowed).
    /// @param usd USD escrowed by this fill, 1e-8 USD.
    /// @param offerFilledWh The offer's filled Wh after this fill (all generators).
    /// @param bookCommittedWh The generator's book total after this fill, Wh.
    /// @param nominatedWh The book's nomination, Wh.
    // Packing: never stored.
    // solhint-disable-next-line gas-struct-packing
    struct Fill {
        address centre;
        Direction direction;
        uint64 amountWh;
        uint128 usd;
        uint64 offerFilledWh;
        uint64 bookCommittedWh;
        int64 nominatedWh;
    }

    /// @notice The market's settlement terms, fixed at deployment (terms()).
    /// @param periodSeconds Period length, s (read from the oracle).
    /// @param gateClosureSeconds Fills close this long before the delivery period starts, s.
    /// @param disputeWindowSeconds A measurement is final this long after being reported, s (oracle's).
    /// @param settlementGraceSeconds A book unsettled this long after its period ends may unwind
    ///        (once no measurement of it is inside its dispute window), s.
    /// @param fillHorizonPeriods Fills are accepted for at most this many periods ahead.
    /// @param minDeliveredBps Delivered fraction of a commitment below which nothing is paid.
    /// @param overDeliveryCapBps Delivered fraction above which nothing more is paid (10,000).
    /// @param penaltyBps Part of the shortfall's commitment forfeited to the centre (rounded up).
    struct Terms {
        uint32 periodSeconds;
        uint32 gateClosureSeconds;
        uint32 disputeWindowSeconds;
        uint32 settlementGraceSeconds;
        uint16 fillHorizonPeriods;
        uint16 minDeliveredBps;
        uint16 overDeliveryCapBps;
        uint16 penaltyBps;
    }

    /// @notice The amounts of one settlement (units as in Book).
    /// @param committedWh The book's commitment.
    /// @param creditedWh Delivery credited, Wh, signed (+ = output raised): the measurement,
    ///        against a baseline no more favourable than the nomination.
    /// @param deliveredWh Credited delivery in the book's direction, clamped to 0..committedWh.
    /// @param paidWh deliveredWh, or 0 when below the minimum fraction.
    /// @param penaltyWh ⌈(committedWh − paidWh) · penaltyBps / 10⁴⌉.
    /// @param usdToGenerator ⌊usd · paidWh / committedWh⌋.
    /// @param usdToCentre usd − usdToGenerator.
    /// @param quality The measurement's quality (Estimated is flagged here).
    struct Settlement {
        uint64 committedWh;
        int64 creditedWh;
        uint64 deliveredWh;
        uint64 paidWh;
        uint64 penaltyWh;
        uint128 usdToGenerator;
        uint128 usdToCentre;
        IGridOracle.Quality quality;
    }

    /// @notice The market's terms, emitted once at deployment (terms() returns them at any time).
    event TermsSet(Terms terms);
    /// @notice The bulletin board: a signed offer and its signature.
    event OfferPosted(bytes32 indexed offerHash, address indexed centre, Offer offer, bytes signature);
    /// @notice `generator` filled part of `offerHash` for `period` into its book.
    event Filled(bytes32 indexed offerHash, address indexed generator, uint32 indexed period, Fill details);
    /// @notice The book of `generator` in `period` settled. kWh to the centre = paidWh + penaltyWh;
    ///         the rest of the commitment returned to the generator.
    event Settled(address indexed generator, uint32 indexed period, address indexed centre, Settlement settlement);
    /// @notice The book of `generator` in `period` unwound: `usd` back to the centre, `kwhWh` to the generator.
    event Unwound(address indexed generator, uint32 indexed period, address indexed centre, uint128 usd, uint64 kwhWh);
    /// @notice `centre` invalidated the nonces of bitmap word `wordPos` set in `mask`.
    event NoncesCancelled(address indexed centre, uint256 indexed wordPos, uint256 mask);
    /// @notice `centre` voided every offer signed with an epoch below `epoch`.
    event EpochAdvanced(address indexed centre, uint32 epoch);

    /// @notice The offer's signature recovers to `signer`, not to its centre `centre`.
    error WrongSigner(address signer, address centre);
    /// @notice `centre` does not hold CENTRE_ROLE.
    error NotCentre(address centre);
    /// @notice The offer's fill sizes are inconsistent: need 1 ≤ minFillWh ≤ maxFillWh.
    error InvalidFillSizes(uint64 minFillWh, uint64 maxFillWh);
    /// @notice No oracle report exists for the justification period.
    error NoJustifyingReport(uint32 justification);
    /// @notice The offer is not fillable: `status`.
    error OfferNotOpen(bytes32 offerHash, OfferStatus status);
    /// @notice The fill would take `takenWh`, less than the offer's minimum `minimumWh`.
    error FillBelowMinimum(uint64 takenWh, uint64 minimumWh);
    /// @notice A fill of `takenWh` of `offerHash` would escrow 0 USD: too small to price.
    error PaymentRoundsToZero(bytes32 offerHash, uint64 takenWh);
    /// @notice The offer is reserved for `generator`.
    error NotOfferGenerator(address generator, address caller);
    /// @notice `generator` is registered at `registeredNode` (0 = not registered), not at `node`.
    error GeneratorNotAtNode(address generator, uint32 node, uint32 registeredNode);
    /// @notice The nomination `nominatedWh` is out of range: 0..`maxWh` for a Nominated offer
    ///         (its registered capacity over one period), exactly 0 for the other methods.
    error InvalidNomination(int64 nominatedWh, uint64 maxWh);
    /// @notice `generator`'s book for `period` has another baseline (`bookedBaseline`, `bookedDays`).
    error BaselineConflict(
        address generator,
        uint32 period,
        IGridOracle.BaselineMethod bookedBaseline,
        uint8 bookedDays
    );
    /// @notice `generator`'s book for `period` is in the other direction (`booked`): one per period.
    error DirectionConflict(address generator, uint32 period, Direction booked);
    /// @notice `generator`'s book for `period` is with another centre (`bookedCentre`): one per period.
    error CentreConflict(address generator, uint32 period, address bookedCentre);
    /// @notice `generator`'s book for `period` has the nomination `bookedWh`, fixed by its first fill.
    error NominationConflict(address generator, uint32 period, int64 bookedWh, int64 givenWh);
    /// @notice `generator` has no open book for `period` (never filled, or settled or unwound already).
    error NoOpenBook(address generator, uint32 period);
    /// @notice The measurement of `generator` in `period` is not final (`state`).
    error MeasurementNotFinal(uint32 period, address generator, IGridOracle.MeasurementState state);
    /// @notice The measurement was made under registry index `measured`, the book's generator had `booked`.
    error GeneratorIndexMismatch(uint32 measured, uint32 booked);
    /// @notice A measurement of `generator` in `period` was reported: show it (with its proof) to unwind.
    error MeasurementNotShown(address generator, uint32 period);
    /// @notice The book of `generator` in `period` would hold more than 2^96 − 1 units of 1e-8 USD.
    error BookOverflow(address generator, uint32 period);
    /// @notice The measurement used baseline `measured`/`measuredDays`, the book `agreed`/`agreedDays`.
    error BaselineMismatch(
        IGridOracle.BaselineMethod measured,
        uint8 measuredDays,
        IGridOracle.BaselineMethod agreed,
        uint8 agreedDays
    );
    /// @notice The book of `generator` in `period` can be unwound only from `unwindableAt` (Unix s):
    ///         the grace time, or the dispute window of its measurement, has not passed.
    error NotUnwindableYet(address generator, uint32 period, uint256 unwindableAt);
    /// @notice The book of `generator` in `period` has a final measurement: settle it instead.
    error DeliveryMeasured(address generator, uint32 period);
    /// @notice Two lists that go together have different lengths.
    error LengthMismatch(uint256 offers, uint256 signatures);
    /// @notice A deployment parameter is out of range: fill horizon 1..65535 periods, fractions ≤ 10,000 bps.
    error InvalidTerms(uint16 fillHorizonPeriods, uint16 minDeliveredBps, uint16 penaltyBps);

    /// @notice Verifies `signature` over `offer` and emits it (stores nothing).
    ///         Checks: signer = centre holding CENTRE_ROLE, amounts and node non-zero, fill sizes,
    ///         baseline days, deadline / gate / horizon not passed, the justifying report exists.
    ///         It reads no nonce or epoch (kept cheap): generators check offerStatus before filling.
    /// @return offerHash The offer's EIP-712 digest.
    function post(Offer calldata offer, bytes calldata signature) external returns (bytes32 offerHash);

    /// @notice `post` for each offer in one transaction (at most MAX_POST_BATCH); all or nothing.
    function postMany(Offer[] calldata offers, bytes[] calldata signatures) external;

    /// @notice Fills up to `requestedWh` of `offer` for the caller (a registered generator at the
    ///         offer's node, or the one named): takes min(requestedWh, maxFillWh, remaining),
    ///         refuses less than minFillWh unless it is the offer's last remainder, and moves the
    ///         caller's free kWh (the Wh taken) and the centre's cumulative share of the USD into
    ///         the escrow of the caller's book for the offer's period.
    /// @param nominatedWh The caller's nomination for the period (planned output, Wh) when the
    ///        offer's baseline is Nominated: 0..capacity × period, fixed by the first fill of the
    ///        period (later fills must repeat it); 0 for the other methods.
    /// @return takenWh The Wh this fill took.
    function fill(
        Offer calldata offer,
        bytes calldata signature,
        uint64 requestedWh,
        int64 nominatedWh
    ) external returns (uint64 takenWh);

    /// @notice Invalidates the caller's nonce `nonce`.
    function cancel(uint256 nonce) external;

    /// @notice Invalidates the caller's nonces `wordPos`·256 + i for every bit i set in `mask`.
    function cancelNonces(uint256 wordPos, uint256 mask) external;

    /// @notice Voids every offer the caller signed so far (epoch + 1).
    /// @return epoch The caller's new epoch.
    function cancelAll() external returns (uint32 epoch);

    /// @notice Settles the book of `generator` in `period` on its measurement `p` (the reported
    ///         measurement with its proof; ignored when the oracle holds a correction or dispute
    ///         for it); reverts when it cannot be settled now (see errors). Anyone may call.
    function settle(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external returns (Settlement memory settlement);

    /// @notice Settles every open book that report `reportPeriod` measured and that can be settled
    ///         now, given the report's whole measurement list in order (checked against its root);
    ///         skips the others (never reverts for one item) and stops when less than
    ///         SETTLEMENT_GAS_RESERVE gas is left. Anyone may call.
    /// @return settled How many were settled.
    /// @return processed How many measurements were looked at (the rest did not fit the gas).
    function settleReport(
        uint32 reportPeriod,
        IGridOracle.Measurement[] calldata measurements
    ) external returns (uint256 settled, uint256 processed);

    /// @notice Forwards a signed report to the oracle (IGridOracle.submitReport) and, in the same
    ///         transaction, settles as settleReport does the books an earlier report
    ///         `settlePeriod` measured (`settleMeasurements`, its whole list; empty: none) while
    ///         the gas spent on them stays below `settlementGasBudget`. Anyone may call.
    function reportAndSettle(
        IGridOracle.Report calldata report,
        uint64 deadline,
        bytes[] calldata signatures,
        uint32 settlePeriod,
        IGridOracle.Measurement[] calldata settleMeasurements,
        uint256 settlementGasBudget
    ) external returns (uint256 settled, uint256 processed);

    /// @notice Returns both escrows of the book of `generator` in `period` when it has no final
    ///         measurement (never measured, or disputed and not corrected), from unwindableAt on.
    ///         When a measurement was reported, `p` must show it. Anyone may call.
    function unwind(address generator, uint32 period, IGridOracle.MeasurementProof calldata p) external;

    /// @notice The market's terms.
    function terms() external view returns (Terms memory);

    /// @notice EIP-712 digest of `offer` (what the centre signs).
    function hashOffer(Offer calldata offer) external view returns (bytes32);

    /// @notice Where `offer` stands now and how many Wh fills have taken (0 when a single fill
    ///         spent the nonce: see the Filled event).
    function offerStatus(Offer calldata offer) external view returns (OfferStatus status, uint64 filledWh);

    /// @notice The book of `generator` in `period` (state None when it never filled in that period).
    function bookOf(address generator, uint32 period) external view returns (Book memory);

    /// @notice What settling the book on measurement `p` now would do; `ready` is false when it
    ///         cannot be settled yet.
    function previewSettlement(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external view returns (bool ready, Settlement memory settlement);

    /// @notice First second (Unix s) at which the open book of `generator` in `period` may unwind
    ///         if its measurement (`p`, when one was reported) is then not final and usable: the
    ///         later of its period's end plus the grace time and the end of its measurement's
    ///         dispute window. 0 when no book is open.
    function unwindableAt(
        address generator,
        uint32 period,
        IGridOracle.MeasurementProof calldata p
    ) external view returns (uint256);

    /// @notice Bitmap word `wordPos` of `centre`'s invalidated nonces.
    function nonceBitmap(address centre, uint256 wordPos) external view returns (uint256);

    /// @notice `centre`'s current epoch (offers need exactly this epoch).
    function epochOf(address centre) external view returns (uint32);
}
