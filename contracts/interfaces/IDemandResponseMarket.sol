// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Escrowed demand-response offers: USD for kWh of adjustment, settled on the oracle's measurement.
/// @notice Units: USD amounts in USD-token units (1e-8 USD); kWh amounts in kWh-token units (1 Wh);
///         periods as in IGridOracle (Unix time / 1800); times in Unix seconds.
///
///         Life of an offer: the centre publishes it, escrowing `usdAmount` (Open). A registered
///         generator at the offer's node (or the one named) accepts before `expiry`, escrowing
///         `kwhAmount` of kWh tokens as its commitment (Accepted); acceptance closes before the
///         delivery period ends. When the oracle has reported the generator's measured adjustment
///         for the delivery period, anyone may settle:
///           delivered = measured adjustment in the offer's direction not yet credited to the
///                       generator's offers settled earlier for the same period, capped at
///                       kwhAmount (Wh) — one delivery never pays twice
///           generator receives usdAmount · delivered / kwhAmount (rounded down)
///           centre receives the rest of the USD and the whole kWh commitment — the delivered
///           part is the purchased leg, the undelivered part the non-delivery penalty.
///         Full delivery is the paper's atomic swap; none returns the USD and forfeits the
///         commitment; anything between is paid pro rata. Open offers can be cancelled by their
///         centre and refunded by anyone after expiry; an accepted offer the oracle never
///         measures can be unwound (both escrows returned) after SETTLEMENT_GRACE.
interface IDemandResponseMarket {
    enum Direction {
        Increase,
        Decrease
    }

    enum Status {
        None,
        Open,
        Accepted,
        Settled,
        Cancelled,
        Refunded,
        Unwound
    }

    /// @notice What the centre publishes.
    /// @param generator Only this wallet may accept; zero = any registered generator at `node`.
    /// @param node Grid node (bus number) where the adjustment is needed.
    /// @param direction Raise (Increase) or lower (Decrease) output.
    /// @param kwhAmount Adjustment bought, Wh (kWh-token units).
    /// @param usdAmount Payment for full delivery, USD-token units (1e-8 USD).
    /// @param period Delivery period (Unix time / 1800); not in the past.
    /// @param justification Period of the oracle report that justified the offer (must exist).
    /// @param expiry Last second the offer can be accepted; in the future and before the delivery period ends.
    struct OfferParams {
        address generator;
        uint32 node;
        Direction direction;
        uint64 kwhAmount;
        uint96 usdAmount;
        uint32 period;
        uint32 justification;
        uint32 expiry;
    }

    /// @notice An offer as stored (three slots). `generator` is the accepting wallet once accepted.
    // solhint-disable-next-line gas-struct-packing
    struct Offer {
        address centre;
        uint96 usdAmount;
        address generator;
        uint64 kwhAmount;
        uint32 expiry;
        uint32 period;
        uint32 justification;
        uint32 node;
        Direction direction;
        Status status;
        bool restricted;
    }

    /// @notice The bulletin board: everything a generator needs to decode and judge the offer.
    event OfferPublished(
        uint256 indexed id,
        address indexed centre,
        address indexed generator,
        uint32 node,
        Direction direction,
        uint64 kwhAmount,
        uint96 usdAmount,
        uint32 period,
        uint32 justification,
        uint32 expiry
    );
    /// @notice `generator` accepted offer `id`, escrowing `kwhAmount` Wh of kWh tokens.
    event OfferAccepted(uint256 indexed id, address indexed generator, uint64 kwhAmount);
    /// @notice Offer `id` settled: `deliveredWh` of `kwhAmount` delivered; USD to each side (1e-8 USD units).
    event OfferSettled(
        uint256 indexed id,
        address indexed generator,
        uint64 deliveredWh,
        uint96 usdToGenerator,
        uint96 usdToCentre,
        uint64 kwhToCentre
    );
    /// @notice The centre cancelled open offer `id`; `usdAmount` returned.
    event OfferCancelled(uint256 indexed id, uint96 usdAmount);
    /// @notice Open offer `id` expired unaccepted; `usdAmount` returned to the centre.
    event OfferRefunded(uint256 indexed id, uint96 usdAmount);
    /// @notice Accepted offer `id` was never measured within the grace time; both escrows returned.
    event OfferUnwound(uint256 indexed id, uint96 usdAmount, uint64 kwhAmount);

    /// @notice No offer has id `id`.
    error UnknownOffer(uint256 id);
    /// @notice Offer `id` is `status`, which does not allow this call.
    error WrongStatus(uint256 id, Status status);
    /// @notice An amount was zero.
    error ZeroAmount();
    /// @notice Node 0 is not a bus number.
    error ZeroNode();
    /// @notice The oracle has measured offer `id`'s delivery: settle it instead of unwinding.
    error DeliveryMeasured(uint256 id);
    /// @notice `expiry` is not after `nowTime`, or not before the delivery period ends (`periodEnd`).
    error BadExpiry(uint32 expiry, uint256 nowTime, uint256 periodEnd);
    /// @notice The delivery period `period` is already over (current period `currentPeriod`).
    error PeriodOver(uint32 period, uint32 currentPeriod);
    /// @notice No oracle report exists for the justification period.
    error NoJustifyingReport(uint32 justification);
    /// @notice The named generator is not registered at the offer's node (its node: `registeredNode`).
    error GeneratorNotAtNode(address generator, uint32 node, uint32 registeredNode);
    /// @notice Offer `id` expired at `expiry`.
    error OfferExpired(uint256 id, uint32 expiry);
    /// @notice Offer `id` has not expired (expires at `expiry`).
    error OfferNotExpired(uint256 id, uint32 expiry);
    /// @notice Offer `id` is reserved for `generator`.
    error NotOfferGenerator(uint256 id, address generator);
    /// @notice Only the centre that published offer `id` may do this.
    error NotOfferCentre(uint256 id, address centre);
    /// @notice The oracle has not reported the delivery of `generator` in `period`.
    error DeliveryNotReported(uint32 period, address generator);
    /// @notice Offer `id` can be unwound only after `unwindableAt` (Unix s).
    error GraceNotOver(uint256 id, uint256 unwindableAt);

    /// @notice Publishes an offer and escrows its USD from the caller. Only CENTRE_ROLE.
    /// @return id The new offer's id (from 1).
    function publish(OfferParams calldata params) external returns (uint256 id);

    /// @notice Accepts offer `id`, escrowing its kWh amount from the caller (needs an allowance).
    function accept(uint256 id) external;

    /// @notice `accept` after an ERC-2612 permit of the kWh token (a permit that fails, e.g. one
    ///         front-run and already used, is ignored if the allowance suffices).
    function acceptWithPermit(uint256 id, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Settles an accepted offer whose delivery the oracle has measured. Anyone may call.
    function settle(uint256 id) external;

    /// @notice Settles each offer in `ids` that can be settled now; skips the others. Anyone may call.
    /// @return settled How many were settled.
    function settleMany(uint256[] calldata ids) external returns (uint256 settled);

    /// @notice Cancels open offer `id` and returns its USD. Only the offer's centre.
    function cancel(uint256 id) external;

    /// @notice Returns the USD of an open offer past its expiry to its centre. Anyone may call.
    function refund(uint256 id) external;

    /// @notice Returns both escrows of an accepted offer the oracle has not measured within
    ///         SETTLEMENT_GRACE after its delivery period ended. Anyone may call.
    function unwind(uint256 id) external;

    /// @notice Offer `id` (all zero for an unknown id).
    function getOffer(uint256 id) external view returns (Offer memory);

    /// @notice Wh of `generator`'s measured adjustment in `period` already credited to settled offers.
    function creditedWh(uint32 period, address generator) external view returns (uint64);

    /// @notice Number of offers published (ids run from 1 to this).
    function offerCount() external view returns (uint256);
}
