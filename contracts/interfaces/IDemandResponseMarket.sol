// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGridOracle} from "./IGridOracle.sol";
import {IGridSwapVault} from "./IGridSwapVault.sol";

/// @title Signed demand-response offers filled from the vault, settled on the oracle's measurement.
/// @notice Units: USD in 1e-8 USD; energy in Wh (kWh-token units); periods and times as in
///         IGridOracle (the period length is read from the oracle at construction); fractions in
///         basis points (1 bps = 0.01 %).
///
///         Life of an offer (the paper's MultiChain raw exchange, made EIP-712):
///         1. The centre (CENTRE_ROLE) signs an Offer off chain: buy `amountWh` of adjustment in
///            `direction` at `node` during `period`, for `usd` in total, fillable until `deadline`.
///            `post` is the bulletin board (the paper's `elec-market-open` stream): it checks the
///            signature and emits every field and the market's terms; it stores nothing.
///         2. A registered generator at the node (or the one named) fills part or all of it in
///            ONE transaction, `fill(offer, signature, amountWh)`, before the delivery period
///            starts less the gate closure: its free kWh (the commitment, amountWh) and the
///            centre's free USD (the payment, ⌊usd · amountWh / offer.amountWh⌋) move into the
///            escrow of a new position, stored as one hash (its data is in the Filled event).
///            The position records how much the generator had committed before it in that period
///            and direction (`committedBeforeWh`), which fixes the order in which one measured
///            delivery is credited to its positions — whatever the settlement order.
///         3. Once the oracle's measurement of the generator in the period is final and usable,
///            anyone settles the position (`settle`, `settleMany`, or pushed by `reportAndSettle`):
///               delivered = clamp(measured in the offer's direction − committedBeforeWh, 0, amountWh)
///               paid      = delivered if delivered ≥ amountWh · minDeliveredBps / 10⁴, else 0
///               generator ← ⌊usd · paid / amountWh⌋ USD, and its commitment less the centre's part
///               centre    ← the rest of the USD, paid Wh (the purchased leg) and the penalty
///                           ⌊(amountWh − paid) · penaltyBps / 10⁴⌋ Wh of the commitment
///            Over-delivery above a position's amount is not paid (cap 100 %).
///         4. A position whose measurement is never final and usable (missing, bad, disputed and
///            never corrected) unwinds after `settlementGrace`: both escrows return.
///         An unfilled offer holds nothing: the centre's USD stays in its free balance until a
///         fill, so an expired offer needs no refund. Cancel one nonce, up to 256 at once (a
///         nonce bitmap word, as Permit2), or every offer signed so far (bump the epoch).
interface IDemandResponseMarket is IGridSwapVault {
    /// @notice Raise (Increase) or lower (Decrease) output against the baseline.
    enum Direction {
        Increase,
        Decrease
    }

    /// @notice Where an offer stands (offerStatus). A fill needs Open.
    /// @dev Open: fillable now (maybe partly filled). Filled: partial fills reached its amount.
    ///      NonceUsed: its nonce is invalidated — filled whole in one fill, or cancelled.
    ///      EpochCancelled: the centre's epoch moved past the offer's. Closed: its deadline or its
    ///      delivery period's gate closure has passed, or the period is beyond the fill horizon.
    enum OfferStatus {
        Open,
        Filled,
        NonceUsed,
        EpochCancelled,
        Closed
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
    /// @param maxFillWh Largest single fill, Wh (spreads one adjustment over several units).
    /// @param baseline Baseline method delivery is measured against.
    /// @param baselineDays Days of a RollingAverage baseline (1..10), else 0.
    /// @param epoch The centre's epoch when signing (cancelAll voids lower epochs).
    /// @param nonce Unordered nonce (bitmap word nonce >> 8, bit nonce & 0xff); one per offer.
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
        uint64 maxFillWh;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        uint32 epoch;
        uint256 nonce;
    }

    /// @notice One fill: what settlement needs. Stored as keccak256(abi.encode(position)) only;
    ///         settle/unwind take the data back (from the Filled event).
    /// @param offerHash EIP-712 digest of the offer filled.
    /// @param centre The offer's centre.
    /// @param generator The filling generator.
    /// @param period Delivery period.
    /// @param direction The offer's direction.
    /// @param baseline The offer's baseline method.
    /// @param baselineDays The offer's baseline days.
    /// @param amountWh Wh filled = kWh commitment escrowed.
    /// @param committedBeforeWh Wh the generator had committed in this period and direction
    ///        before this fill (its earlier positions are credited first).
    /// @param usd Payment escrowed for full delivery, 1e-8 USD.
    struct Position {
        bytes32 offerHash;
        address centre;
        address generator;
        uint32 period;
        Direction direction;
        IGridOracle.BaselineMethod baseline;
        uint8 baselineDays;
        uint64 amountWh;
        uint64 committedBeforeWh;
        uint128 usd;
    }

    /// @notice The market's settlement terms, fixed at deployment and emitted with every post.
    /// @param periodSeconds Period length, s (read from the oracle).
    /// @param gateClosureSeconds Fills close this long before the delivery period starts, s.
    /// @param disputeWindowSeconds A measurement is final this long after being reported, s (oracle's).
    /// @param settlementGraceSeconds A position unsettled this long after its period ends unwinds, s.
    /// @param fillHorizonPeriods Fills are accepted for at most this many periods ahead.
    /// @param minDeliveredBps Delivered fraction below which nothing is paid.
    /// @param overDeliveryCapBps Delivered fraction above which nothing more is paid (10,000).
    /// @param penaltyBps Part of the shortfall's commitment forfeited to the centre.
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

    /// @notice The amounts of one settlement (units as in Position).
    /// @param deliveredWh Measured delivery credited to the position (0..amountWh).
    /// @param paidWh deliveredWh, or 0 when below the minimum fraction.
    /// @param penaltyWh ⌊(amountWh − paidWh) · penaltyBps / 10⁴⌋.
    /// @param usdToGenerator ⌊usd · paidWh / amountWh⌋.
    /// @param usdToCentre usd − usdToGenerator.
    /// @param quality The measurement's quality (Estimated is flagged here).
    struct Settlement {
        uint64 deliveredWh;
        uint64 paidWh;
        uint64 penaltyWh;
        uint128 usdToGenerator;
        uint128 usdToCentre;
        IGridOracle.Quality quality;
    }

    /// @notice The bulletin board: a signed offer, its signature and the market's terms.
    event OfferPosted(bytes32 indexed offerHash, address indexed centre, Offer offer, bytes signature, Terms terms);
    /// @notice `generator` filled `offerHash`: position `positionHash` (all of its data).
    event Filled(bytes32 indexed positionHash, bytes32 indexed offerHash, address indexed generator, Position position);
    /// @notice Position `positionHash` settled. kWh to the centre = paidWh + penaltyWh; the rest of
    ///         the commitment returned to the generator.
    event Settled(bytes32 indexed positionHash, Settlement settlement);
    /// @notice Position `positionHash` unwound: `usd` back to the centre, `kwhWh` to the generator.
    event Unwound(bytes32 indexed positionHash, uint128 usd, uint64 kwhWh);
    /// @notice `centre` invalidated the nonces of bitmap word `wordPos` set in `mask`.
    event NoncesCancelled(address indexed centre, uint256 indexed wordPos, uint256 mask);
    /// @notice `centre` voided every offer signed with an epoch below `epoch`.
    event EpochAdvanced(address indexed centre, uint32 epoch);

    /// @notice Node 0 is not a bus number.
    error ZeroNode();
    /// @notice The offer's signature recovers to `signer`, not to its centre `centre`.
    error WrongSigner(address signer, address centre);
    /// @notice `centre` does not hold CENTRE_ROLE.
    error NotCentre(address centre);
    /// @notice The offer's baseline days do not suit its method.
    error InvalidBaseline(IGridOracle.BaselineMethod baseline, uint8 baselineDays);
    /// @notice No oracle report exists for the justification period.
    error NoJustifyingReport(uint32 justification);
    /// @notice The offer is not fillable: `status`.
    error OfferNotOpen(bytes32 offerHash, OfferStatus status);
    /// @notice A fill of `amountWh` exceeds the offer's single-fill maximum `maxFillWh`.
    error FillTooLarge(uint64 amountWh, uint64 maxFillWh);
    /// @notice `filledWh` + `amountWh` would exceed the offer's `offerAmountWh`.
    error Overfill(bytes32 offerHash, uint64 filledWh, uint64 amountWh, uint64 offerAmountWh);
    /// @notice The offer is reserved for `generator`.
    error NotOfferGenerator(address generator, address caller);
    /// @notice `generator` is registered at `registeredNode` (0 = not registered), not at `node`.
    error GeneratorNotAtNode(address generator, uint32 node, uint32 registeredNode);
    /// @notice The generator's positions in `period` are measured with another baseline
    ///         (`bookedBaseline`, `bookedDays`): one baseline per generator and period.
    error BaselineConflict(
        address generator,
        uint32 period,
        IGridOracle.BaselineMethod bookedBaseline,
        uint8 bookedDays
    );
    /// @notice No open position has hash `positionHash` (never filled, or settled or unwound already).
    error UnknownPosition(bytes32 positionHash);
    /// @notice The measurement of `generator` in `period` is not final (`state`).
    error MeasurementNotFinal(uint32 period, address generator, IGridOracle.MeasurementState state);
    /// @notice The measurement of `generator` in `period` has quality `quality`: not usable.
    error MeasurementUnusable(uint32 period, address generator, IGridOracle.Quality quality);
    /// @notice The measurement used baseline `measured`/`measuredDays`, the position `agreed`/`agreedDays`.
    error BaselineMismatch(
        IGridOracle.BaselineMethod measured,
        uint8 measuredDays,
        IGridOracle.BaselineMethod agreed,
        uint8 agreedDays
    );
    /// @notice Position `positionHash` can be unwound only from `unwindableAt` (Unix s).
    error GraceNotOver(bytes32 positionHash, uint256 unwindableAt);
    /// @notice Position `positionHash` has a final usable measurement: settle it instead.
    error DeliveryMeasured(bytes32 positionHash);
    /// @notice A list has `length` items; at most `max` are accepted in one call.
    error TooManyItems(uint256 length, uint256 max);
    /// @notice A deployment parameter is out of range: fill horizon 1..65535 periods, fractions ≤ 10,000 bps.
    error InvalidTerms(uint16 fillHorizonPeriods, uint16 minDeliveredBps, uint16 penaltyBps);

    /// @notice Verifies `signature` over `offer` and emits it with the terms (stores nothing).
    ///         Checks: signer = centre holding CENTRE_ROLE, amounts and node non-zero, baseline
    ///         days, deadline / gate / horizon not passed, the justifying report exists. It reads
    ///         no nonce or epoch (kept cheap): generators check offerStatus before filling.
    /// @return offerHash The offer's EIP-712 digest.
    function post(Offer calldata offer, bytes calldata signature) external returns (bytes32 offerHash);

    /// @notice Fills `amountWh` of `offer` for the caller (a registered generator at the offer's
    ///         node, or the one named): moves the caller's free kWh (amountWh) and the centre's free
    ///         USD (⌊usd · amountWh / offer.amountWh⌋) into a new position's escrow.
    /// @return positionHash keccak256(abi.encode(position)) of the new position (see Filled).
    function fill(
        Offer calldata offer,
        bytes calldata signature,
        uint64 amountWh
    ) external returns (bytes32 positionHash);

    /// @notice Invalidates the caller's nonce `nonce`.
    function cancel(uint256 nonce) external;

    /// @notice Invalidates the caller's nonces `wordPos`·256 + i for every bit i set in `mask`.
    function cancelNonces(uint256 wordPos, uint256 mask) external;

    /// @notice Voids every offer the caller signed so far (epoch + 1).
    /// @return epoch The caller's new epoch.
    function cancelAll() external returns (uint32 epoch);

    /// @notice Settles `position`; reverts when it cannot be settled now (see errors). Anyone may call.
    function settle(Position calldata position) external returns (Settlement memory settlement);

    /// @notice Settles each of `positions` that can be settled now and skips the others (never
    ///         reverts for one item); stops when less than SETTLEMENT_GAS_RESERVE gas is left.
    ///         At most MAX_SETTLEMENT_BATCH items. Anyone may call.
    /// @return settled How many were settled.
    /// @return processed How many items were looked at (the rest did not fit the gas).
    function settleMany(Position[] calldata positions) external returns (uint256 settled, uint256 processed);

    /// @notice Forwards a signed report to the oracle (IGridOracle.submitReport) and, in the same
    ///         transaction, settles `positions` as settleMany does while the gas spent on them stays
    ///         below `settlementGasBudget`. Anyone may call.
    function reportAndSettle(
        IGridOracle.Report calldata report,
        uint64 deadline,
        bytes[] calldata signatures,
        Position[] calldata positions,
        uint256 settlementGasBudget
    ) external returns (uint256 settled, uint256 processed);

    /// @notice Returns both escrows of `position` when its measurement is not final and usable
    ///         `settlementGrace` seconds after its delivery period ended. Anyone may call.
    function unwind(Position calldata position) external;

    /// @notice The market's terms.
    function terms() external view returns (Terms memory);

    /// @notice EIP-712 digest of `offer` (what the centre signs; the offer's identity).
    function hashOffer(Offer calldata offer) external view returns (bytes32);

    /// @notice keccak256(abi.encode(position)).
    function hashPosition(Position calldata position) external pure returns (bytes32);

    /// @notice Where `offer` stands now and how many Wh partial fills have taken.
    function offerStatus(Offer calldata offer) external view returns (OfferStatus status, uint64 filledWh);

    /// @notice True while `position` is open (filled, not settled or unwound).
    function isOpen(Position calldata position) external view returns (bool);

    /// @notice What settling `position` now would do; `ready` is false when it cannot be settled yet.
    function previewSettlement(
        Position calldata position
    ) external view returns (bool ready, Settlement memory settlement);

    /// @notice Wh `generator` has committed in `period`, by direction, and the period's baseline
    ///         (zeros once the book slot is reused, fillHorizonPeriods periods later).
    function committedOf(
        address generator,
        uint32 period
    )
        external
        view
        returns (uint64 increaseWh, uint64 decreaseWh, IGridOracle.BaselineMethod baseline, uint8 baselineDays);

    /// @notice Bitmap word `wordPos` of `centre`'s invalidated nonces.
    function nonceBitmap(address centre, uint256 wordPos) external view returns (uint256);

    /// @notice `centre`'s current epoch (offers need exactly this epoch).
    function epochOf(address centre) external view returns (uint32);
}
