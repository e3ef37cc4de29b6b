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
import {MarketBooks} from "./MarketBooks.sol";
import {GridSwapMath} from "./libraries/GridSwapMath.sol";

/// @title Signed demand-response offers, filled from the vault into generators' books, settled on
///        the oracle's measurement.
/// @notice See IDemandResponseMarket for the life of an offer, the settlement rule and units, and
///         IGridSwapVault for balances. The power quality centres hold CENTRE_ROLE; the admin only
///         grants and revokes it. Every term is immutable. This contract takes offers and fills
///         them into the generators' books; MarketBooks keeps, settles and unwinds the books.
contract DemandResponseMarket is MarketBooks, AccessControl, EIP712 {
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

    /// @notice Registered generators: node, meter key, capacity.
    IGeneratorRegistry public immutable registry;

    uint32 private immutable _gateClosure;

    /// @notice Deployment parameters of the market (see Terms; the period length and dispute
    ///         window come from the oracle).
    struct Params {
        uint32 gateClosureSeconds;
        uint32 settlementGraceSeconds;
        uint16 fillHorizonPeriods;
        uint16 minDeliveredBps;
        uint16 penaltyBps;
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
    )
        GridSwapVault(usd_, kwh_, treasury_)
        MarketBooks(
            oracle_,
            params.settlementGraceSeconds,
            params.fillHorizonPeriods,
            params.minDeliveredBps,
            params.penaltyBps
        )
        EIP712("GridSwap Market", "3")
    {
        registry = registry_;
        _gateClosure = params.gateClosureSeconds;
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
}
