// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDemandResponseMarket} from "./interfaces/IDemandResponseMarket.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";
import {IGridOracle} from "./interfaces/IGridOracle.sol";

/// @title Escrowed demand-response offers settled on the oracle's measured delivery.
/// @notice See IDemandResponseMarket for the life of an offer, the settlement rule and units.
///         The power quality centre holds CENTRE_ROLE. The contract holds exactly the escrows of
///         open and accepted offers; no party can move the other's escrow.
contract DemandResponseMarket is IDemandResponseMarket, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice May publish offers (the power quality centre).
    bytes32 public constant CENTRE_ROLE = keccak256("CENTRE_ROLE");
    /// @notice Time after an accepted offer's delivery period after which, unmeasured, it can be unwound (s).
    uint256 public constant SETTLEMENT_GRACE = 7 days;
    /// @notice Length of a period, seconds (as GridOracle).
    uint256 public constant PERIOD_SECONDS = 1800;

    /// @notice USD token (8 decimals).
    IERC20 public immutable usd;
    /// @notice kWh-adjustment token (3 decimals: Wh).
    IERC20 public immutable kwh;
    /// @notice Source of reports and measured deliveries.
    IGridOracle public immutable oracle;
    /// @notice Registered generators and their nodes.
    IGeneratorRegistry public immutable registry;

    /// @inheritdoc IDemandResponseMarket
    uint256 public offerCount;
    mapping(uint256 id => Offer) private _offers;
    /// @dev Wh of a generator's measured adjustment in a period already credited to settled offers,
    ///      so one delivery never pays two offers.
    mapping(uint32 period => mapping(address generator => uint64 creditedWh)) private _credited;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants CENTRE_ROLE).
    constructor(address admin, IERC20 usd_, IERC20 kwh_, IGridOracle oracle_, IGeneratorRegistry registry_) {
        usd = usd_;
        kwh = kwh_;
        oracle = oracle_;
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IDemandResponseMarket
    function publish(OfferParams calldata p) external onlyRole(CENTRE_ROLE) nonReentrant returns (uint256 id) {
        if (p.kwhAmount == 0 || p.usdAmount == 0) revert ZeroAmount();
        if (p.node == 0) revert ZeroNode();
        uint32 current = uint32(block.timestamp / PERIOD_SECONDS);
        if (p.period < current) revert PeriodOver(p.period, current);
        uint256 periodEnd = (uint256(p.period) + 1) * PERIOD_SECONDS;
        // Acceptance must close before the delivery period ends: the measurement of the period can
        // only be reported after it, so no generator can accept knowing what it delivered.
        if (p.expiry <= block.timestamp || p.expiry >= periodEnd)
            revert BadExpiry(p.expiry, block.timestamp, periodEnd);
        if (!oracle.hasReport(p.justification)) revert NoJustifyingReport(p.justification);
        bool restricted = p.generator != address(0);
        if (restricted) _requireAtNode(p.generator, p.node);

        id = ++offerCount;
        _offers[id] = Offer({
            centre: msg.sender,
            usdAmount: p.usdAmount,
            generator: p.generator,
            kwhAmount: p.kwhAmount,
            expiry: p.expiry,
            period: p.period,
            justification: p.justification,
            node: p.node,
            direction: p.direction,
            status: Status.Open,
            restricted: restricted
        });
        emit OfferPublished(
            id,
            msg.sender,
            p.generator,
            p.node,
            p.direction,
            p.kwhAmount,
            p.usdAmount,
            p.period,
            p.justification,
            p.expiry
        );
        usd.safeTransferFrom(msg.sender, address(this), p.usdAmount);
    }

    /// @inheritdoc IDemandResponseMarket
    function accept(uint256 id) external nonReentrant {
        _accept(id);
    }

    /// @inheritdoc IDemandResponseMarket
    function acceptWithPermit(uint256 id, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external nonReentrant {
        // A permit already used (e.g. front-run) reverts; the allowance it set still lets accept
        // succeed, and without an allowance transferFrom fails with the token's own error.
        /* solhint-disable no-empty-blocks */
        try
            IERC20Permit(address(kwh)).permit(msg.sender, address(this), _offers[id].kwhAmount, deadline, v, r, s)
        {} catch {}
        /* solhint-enable no-empty-blocks */
        _accept(id);
    }

    /// @inheritdoc IDemandResponseMarket
    function settle(uint256 id) external nonReentrant {
        Offer storage offer = _existing(id);
        if (offer.status != Status.Accepted) revert WrongStatus(id, offer.status);
        (bool reported, int64 measured) = oracle.measuredAdjustment(offer.period, offer.generator);
        if (!reported) revert DeliveryNotReported(offer.period, offer.generator);
        _settle(id, offer, measured);
    }

    /// @inheritdoc IDemandResponseMarket
    function settleMany(uint256[] calldata ids) external nonReentrant returns (uint256 settled) {
        for (uint256 i = 0; i < ids.length; ++i) {
            Offer storage offer = _offers[ids[i]];
            if (offer.status != Status.Accepted) continue;
            (bool reported, int64 measured) = oracle.measuredAdjustment(offer.period, offer.generator);
            if (!reported) continue;
            _settle(ids[i], offer, measured);
            ++settled;
        }
    }

    /// @inheritdoc IDemandResponseMarket
    function cancel(uint256 id) external nonReentrant {
        Offer storage offer = _existing(id);
        if (offer.centre != msg.sender) revert NotOfferCentre(id, offer.centre);
        if (offer.status != Status.Open) revert WrongStatus(id, offer.status);
        offer.status = Status.Cancelled;
        uint96 amount = offer.usdAmount;
        emit OfferCancelled(id, amount);
        usd.safeTransfer(offer.centre, amount);
    }

    /// @inheritdoc IDemandResponseMarket
    function refund(uint256 id) external nonReentrant {
        Offer storage offer = _existing(id);
        if (offer.status != Status.Open) revert WrongStatus(id, offer.status);
        if (block.timestamp <= offer.expiry) revert OfferNotExpired(id, offer.expiry);
        offer.status = Status.Refunded;
        uint96 amount = offer.usdAmount;
        emit OfferRefunded(id, amount);
        usd.safeTransfer(offer.centre, amount);
    }

    /// @inheritdoc IDemandResponseMarket
    function unwind(uint256 id) external nonReentrant {
        Offer storage offer = _existing(id);
        if (offer.status != Status.Accepted) revert WrongStatus(id, offer.status);
        uint256 unwindableAt = (uint256(offer.period) + 1) * PERIOD_SECONDS + SETTLEMENT_GRACE;
        if (block.timestamp < unwindableAt) revert GraceNotOver(id, unwindableAt);
        (bool reported, ) = oracle.measuredAdjustment(offer.period, offer.generator);
        if (reported) revert DeliveryMeasured(id);
        offer.status = Status.Unwound;
        emit OfferUnwound(id, offer.usdAmount, offer.kwhAmount);
        usd.safeTransfer(offer.centre, offer.usdAmount);
        kwh.safeTransfer(offer.generator, offer.kwhAmount);
    }

    /// @inheritdoc IDemandResponseMarket
    function getOffer(uint256 id) external view returns (Offer memory) {
        return _offers[id];
    }

    function _accept(uint256 id) private {
        Offer storage offer = _existing(id);
        if (offer.status != Status.Open) revert WrongStatus(id, offer.status);
        if (block.timestamp > offer.expiry) revert OfferExpired(id, offer.expiry);
        if (offer.restricted && offer.generator != msg.sender) revert NotOfferGenerator(id, offer.generator);
        _requireAtNode(msg.sender, offer.node);
        offer.generator = msg.sender;
        offer.status = Status.Accepted;
        uint64 amount = offer.kwhAmount;
        emit OfferAccepted(id, msg.sender, amount);
        kwh.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Pro-rata rule of IDemandResponseMarket; state is final before any transfer.
    function _settle(uint256 id, Offer storage offer, int64 measured) private {
        offer.status = Status.Settled;
        uint64 committed = offer.kwhAmount;
        address generator = offer.generator;
        uint32 period = offer.period;
        // Widened to int256 first so that negating type(int64).min cannot overflow.
        int256 signed = offer.direction == Direction.Increase ? int256(measured) : -int256(measured);
        uint64 credited = _credited[period][generator];
        uint256 available = signed > int256(uint256(credited)) ? uint256(signed) - credited : 0;
        uint64 delivered = available >= committed ? committed : uint64(available);
        if (delivered > 0) _credited[period][generator] = credited + delivered;
        uint96 toGenerator = uint96((uint256(offer.usdAmount) * delivered) / committed);
        uint96 toCentre = offer.usdAmount - toGenerator;
        address centre = offer.centre;
        emit OfferSettled(id, generator, delivered, toGenerator, toCentre, committed);
        if (toGenerator > 0) usd.safeTransfer(generator, toGenerator);
        if (toCentre > 0) usd.safeTransfer(centre, toCentre);
        kwh.safeTransfer(centre, committed);
    }

    /// @inheritdoc IDemandResponseMarket
    function creditedWh(uint32 period, address generator) external view returns (uint64) {
        return _credited[period][generator];
    }

    function _existing(uint256 id) private view returns (Offer storage offer) {
        offer = _offers[id];
        if (offer.status == Status.None) revert UnknownOffer(id);
    }

    function _requireAtNode(address generator, uint32 node) private view {
        uint32 registered = registry.nodeOf(generator);
        if (registered != node) revert GeneratorNotAtNode(generator, node, registered);
    }
}
