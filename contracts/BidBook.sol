// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IBidBook} from "./interfaces/IBidBook.sol";
import {IDemandResponseMarket} from "./interfaces/IDemandResponseMarket.sol";
import {IGeneratorRegistry} from "./interfaces/IGeneratorRegistry.sol";
import {GridSwapMath} from "./libraries/GridSwapMath.sol";

/// @title Sealed bids of generators' flexibility: commit before the bid gate, reveal after it, the
///        centre's selection published before the fill gate.
/// @notice See IBidBook for the timeline, the checks and the units. No administrator: the terms are
///         immutable, generators are the market's registry's, centres hold the market's CENTRE_ROLE.
contract BidBook is IBidBook, EIP712 {
    /// @notice The market's role whose holders may publish selections (the power quality centres).
    bytes32 public constant CENTRE_ROLE = keccak256("CENTRE_ROLE");
    /// @notice EIP-712 type of one step of a bid.
    bytes32 public constant STEP_TYPEHASH = keccak256("Step(uint64 quantityWh,uint64 priceUsdPerMWh)");
    /// @notice EIP-712 type of a bid; the hashStruct of a BidTerms is its commitment.
    bytes32 public constant BID_TERMS_TYPEHASH =
        keccak256(
            "BidTerms(uint32 node,Step[] up,Step[] down,bytes32 salt)Step(uint64 quantityWh,uint64 priceUsdPerMWh)"
        );
    /// @notice EIP-712 type a generator signs to commit (its `bid` member is encoded as the commitment).
    bytes32 public constant SEALED_BID_TYPEHASH =
        keccak256(
            "SealedBid(address generator,uint32 firstPeriod,uint32 lastPeriod,BidTerms bid)BidTerms(uint32 node,Step[] up,Step[] down,bytes32 salt)Step(uint64 quantityWh,uint64 priceUsdPerMWh)"
        );
    /// @notice Most steps per direction in one bid.
    uint256 public constant MAX_STEPS = 4;
    /// @notice Most delivery periods one bid covers (a day of 30-minute periods).
    uint256 public constant MAX_RANGE_PERIODS = 48;
    /// @notice A bid may start at most this many periods after the current one. With ranges of at
    ///         most MAX_RANGE_PERIODS, a commitment's ring entry (period mod 256) is reused only
    ///         once nothing can read it any more: 256 > 96 + 48.
    uint256 public constant COMMIT_HORIZON_PERIODS = 96;
    /// @notice Most selected steps in one publication.
    uint256 public constant MAX_SELECTION = 256;
    /// @dev Ring entries of commitments per generator (first period mod RING).
    uint256 private constant RING = 256;

    /// @notice The market whose centres publish selections and whose terms set the gates.
    IDemandResponseMarket public immutable market;
    /// @notice The market's generator registry: nodes and capacities.
    IGeneratorRegistry public immutable registry;

    uint32 private immutable _periodSeconds;
    uint32 private immutable _gateClosure;
    uint32 private immutable _study;
    uint32 private immutable _reveal;
    uint32 private immutable _bidGate;
    uint64 private immutable _maxPrice;

    /// @notice Deployment parameters (see Terms; the period length and fill gate are the market's).
    struct Params {
        uint32 revealSeconds;
        uint32 studySeconds;
        uint64 maxPriceUsdPerMWh;
    }

    /// @dev One slot: 4 + 1 + 1 + 26 bytes. `span` = last period − first period (< MAX_RANGE_PERIODS).
    struct StoredCommitment {
        uint32 firstPeriod;
        uint8 span;
        BidState state;
        bytes26 tag;
    }

    /// @dev A ring per generator, entry firstPeriod mod RING: rewritten (5,000 gas instead of
    ///      22,100) once the generator has bid for RING periods.
    mapping(address generator => mapping(uint256 ring => StoredCommitment)) private _commitments;
    /// @dev Bit `period & 0xff` of word `period >> 8`: the generator has a commitment covering `period`.
    mapping(address generator => mapping(uint256 wordPos => uint256 bits)) private _committed;
    /// @dev Commitments covering each period, eight uint32 counters per word (period >> 3).
    mapping(uint256 word => uint256 counts) private _counts;
    mapping(uint32 period => bytes32 selectionHash) private _selections;

    /// @param market_ The market (its terms give the period length and the fill gate; its
    ///        registry, the generators; its CENTRE_ROLE, who publishes selections).
    /// @param params Reveal window, study window and highest price.
    constructor(IDemandResponseMarket market_, Params memory params) EIP712("GridSwap Bids", "1") {
        IDemandResponseMarket.Terms memory t = market_.terms();
        uint256 bidGateSeconds = uint256(t.gateClosureSeconds) + params.studySeconds + params.revealSeconds;
        if (
            params.revealSeconds == 0 ||
            params.studySeconds == 0 ||
            params.maxPriceUsdPerMWh == 0 ||
            bidGateSeconds > type(uint32).max
        ) revert InvalidTerms(params.revealSeconds, params.studySeconds, params.maxPriceUsdPerMWh);
        market = market_;
        registry = _registryOf(market_);
        _periodSeconds = t.periodSeconds;
        _gateClosure = t.gateClosureSeconds;
        _study = params.studySeconds;
        _reveal = params.revealSeconds;
        // ≤ type(uint32).max, checked above.
        _bidGate = uint32(bidGateSeconds);
        _maxPrice = params.maxPriceUsdPerMWh;
        emit TermsSet(terms());
    }

    // ------------------------------------------------------------------------------------------
    // Commit, reveal, select

    /// @inheritdoc IBidBook
    function commit(
        address generator,
        uint32 firstPeriod,
        uint32 lastPeriod,
        bytes32 commitment,
        bytes calldata signature
    ) external {
        if (lastPeriod < firstPeriod || lastPeriod - firstPeriod >= MAX_RANGE_PERIODS)
            revert InvalidPeriodRange(firstPeriod, lastPeriod, MAX_RANGE_PERIODS);
        uint256 gate = _bidGateOf(firstPeriod);
        if (block.timestamp >= gate) revert BidGateClosed(firstPeriod, gate);
        uint256 latest = uint256(GridSwapMath.periodOf(block.timestamp, _periodSeconds)) + COMMIT_HORIZON_PERIODS;
        if (firstPeriod > latest) revert BeyondCommitHorizon(firstPeriod, latest);
        if (registry.nodeOf(generator) == 0) revert NotRegistered(generator);
        (address signer, , ) = ECDSA.tryRecover(
            _sealedBidDigest(generator, firstPeriod, lastPeriod, commitment),
            signature
        );
        if (signer != generator) revert WrongSigner(signer, generator);

        _markCommitted(generator, firstPeriod, lastPeriod);
        // span < MAX_RANGE_PERIODS fits uint8; the tag is the commitment's first 26 bytes.
        _commitments[generator][firstPeriod % RING] = StoredCommitment(
            firstPeriod,
            uint8(lastPeriod - firstPeriod),
            BidState.Committed,
            bytes26(commitment)
        );
        _countCommitment(firstPeriod, lastPeriod);
        emit BidCommitted(generator, firstPeriod, lastPeriod, commitment);
    }

    /// @inheritdoc IBidBook
    function reveal(address generator, uint32 firstPeriod, BidTerms calldata bid) external {
        StoredCommitment storage entry = _commitments[generator][firstPeriod % RING];
        StoredCommitment memory stored = entry;
        if (stored.state == BidState.None || stored.firstPeriod != firstPeriod)
            revert NoCommitment(generator, firstPeriod);
        if (stored.state == BidState.Revealed) revert AlreadyRevealed(generator, firstPeriod);
        uint256 opensAt = _bidGateOf(firstPeriod);
        if (block.timestamp < opensAt) revert RevealNotOpen(firstPeriod, opensAt);
        uint256 closedAt = opensAt + _reveal;
        if (block.timestamp >= closedAt) revert RevealClosed(firstPeriod, closedAt);
        // Bounded before hashing: a bid with too many steps is refused whatever it hashes to.
        _checkStepCount(bid.up, IDemandResponseMarket.Direction.Increase);
        _checkStepCount(bid.down, IDemandResponseMarket.Direction.Decrease);
        if (bytes26(_bidTermsHash(bid)) != stored.tag) revert CommitmentMismatch(generator, firstPeriod);

        (uint32 node, , uint32 capacityW, ) = registry.generatorOf(generator);
        if (node == 0) revert NotRegistered(generator);
        if (bid.node != node) revert WrongNode(generator, bid.node, node);
        if (bid.up.length + bid.down.length == 0) revert EmptyBid();
        // W · s / 3600 = Wh over one period (rounded down: a bid never exceeds the capacity).
        uint256 maxWh = (uint256(capacityW) * _periodSeconds) / 3600;
        _checkSteps(bid.up, IDemandResponseMarket.Direction.Increase, maxWh);
        _checkSteps(bid.down, IDemandResponseMarket.Direction.Decrease, maxWh);

        entry.state = BidState.Revealed;
        emit BidRevealed(generator, firstPeriod, firstPeriod + stored.span, bid);
    }

    /// @inheritdoc IBidBook
    function publishSelection(
        uint32 period,
        PricingRule pricingRule,
        bytes32 inputHash,
        SelectedStep[] calldata steps
    ) external returns (bytes32 selectionHash) {
        if (!IAccessControl(address(market)).hasRole(CENTRE_ROLE, msg.sender)) revert NotCentre(msg.sender);
        uint256 opensAt = _bidGateOf(period) + _reveal;
        if (block.timestamp < opensAt) revert SelectionNotOpen(period, opensAt);
        uint256 closedAt = _fillGateOf(period);
        if (block.timestamp >= closedAt) revert SelectionClosed(period, closedAt);
        if (_selections[period] != bytes32(0)) revert SelectionAlreadyPublished(period);
        uint256 count = steps.length;
        if (count > MAX_SELECTION) revert TooManyItems(count, MAX_SELECTION);
        uint256 previousKey;
        for (uint256 i = 0; i < count; ++i) {
            SelectedStep calldata s = steps[i];
            // (generator, direction, step) as one number: strictly rising keys, so each step once.
            uint256 key = (uint256(uint160(s.generator)) << 16) | (uint256(s.direction) << 8) | s.step;
            if (i > 0 && key <= previousKey) revert SelectionNotSorted(i);
            previousKey = key;
            if (!_revealedFor(s.generator, s.firstPeriod, period))
                revert NotRevealed(i, s.generator, s.firstPeriod, period);
        }
        selectionHash = keccak256(abi.encode(period, pricingRule, inputHash, steps));
        _selections[period] = selectionHash;
        emit SelectionPublished(period, msg.sender, pricingRule, inputHash, selectionHash, steps);
    }

    // ------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IBidBook
    function terms() public view returns (Terms memory) {
        return
            Terms({
                periodSeconds: _periodSeconds,
                gateClosureSeconds: _gateClosure,
                studySeconds: _study,
                revealSeconds: _reveal,
                bidGateSeconds: _bidGate,
                maxPriceUsdPerMWh: _maxPrice
            });
    }

    /// @inheritdoc IBidBook
    function bidGate(uint32 period) external view returns (uint256) {
        return _bidGateOf(period);
    }

    /// @inheritdoc IBidBook
    function revealEnd(uint32 period) external view returns (uint256) {
        return _bidGateOf(period) + _reveal;
    }

    /// @inheritdoc IBidBook
    function commitmentCount(uint32 period) external view returns (uint32) {
        // The counter of `period`: 32 bits at position (period & 7) · 32 of word period >> 3.
        return uint32(_counts[period >> 3] >> ((uint256(period) & 7) << 5));
    }

    /// @inheritdoc IBidBook
    function isCommitted(address generator, uint32 period) external view returns (bool) {
        return _committed[generator][period >> 8] & (1 << (period & 0xff)) != 0;
    }

    /// @inheritdoc IBidBook
    function commitmentOf(address generator, uint32 firstPeriod) external view returns (Commitment memory c) {
        StoredCommitment memory s = _commitments[generator][firstPeriod % RING];
        if (s.state == BidState.None || s.firstPeriod != firstPeriod) return c;
        return Commitment(s.firstPeriod, s.firstPeriod + s.span, s.state, s.tag);
    }

    /// @inheritdoc IBidBook
    function selectionHashOf(uint32 period) external view returns (bytes32) {
        return _selections[period];
    }

    /// @inheritdoc IBidBook
    function verifySelection(
        uint32 period,
        PricingRule pricingRule,
        bytes32 inputHash,
        SelectedStep[] calldata steps
    ) external view returns (bool) {
        bytes32 stored = _selections[period];
        return stored != bytes32(0) && stored == keccak256(abi.encode(period, pricingRule, inputHash, steps));
    }

    /// @inheritdoc IBidBook
    function bidTermsHash(BidTerms calldata bid) external pure returns (bytes32) {
        return _bidTermsHash(bid);
    }

    /// @inheritdoc IBidBook
    function sealedBidDigest(
        address generator,
        uint32 firstPeriod,
        uint32 lastPeriod,
        bytes32 commitment
    ) external view returns (bytes32) {
        return _sealedBidDigest(generator, firstPeriod, lastPeriod, commitment);
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    /// @dev The market exposes its registry as a public immutable (outside IDemandResponseMarket).
    function _registryOf(IDemandResponseMarket market_) private view returns (IGeneratorRegistry) {
        (bool ok, bytes memory data) = address(market_).staticcall(abi.encodeWithSignature("registry()"));
        if (!ok || data.length != 32) revert MarketWithoutRegistry(address(market_));
        address found = abi.decode(data, (address));
        if (found.code.length == 0) revert MarketWithoutRegistry(address(market_));
        return IGeneratorRegistry(found);
    }

    /// @dev period · T − bidGateSeconds, or 0 before 1970.
    function _bidGateOf(uint32 period) private view returns (uint256) {
        uint256 start = GridSwapMath.periodStart(period, _periodSeconds);
        return start > _bidGate ? start - _bidGate : 0;
    }

    /// @dev period · T − gateClosureSeconds (the market's fill gate), or 0 before 1970.
    function _fillGateOf(uint32 period) private view returns (uint256) {
        uint256 start = GridSwapMath.periodStart(period, _periodSeconds);
        return start > _gateClosure ? start - _gateClosure : 0;
    }

    /// @dev True when the bid of `generator` starting at `firstPeriod` is revealed and covers `period`.
    function _revealedFor(address generator, uint32 firstPeriod, uint32 period) private view returns (bool) {
        StoredCommitment storage c = _commitments[generator][firstPeriod % RING];
        return
            c.state == BidState.Revealed &&
            c.firstPeriod == firstPeriod &&
            period >= firstPeriod &&
            period <= uint256(firstPeriod) + c.span;
    }

    /// @dev Sets the generator's bits of periods first..last (at most two words: a range is at
    ///      most 48 periods), refusing a period already covered.
    function _markCommitted(address generator, uint32 first, uint32 last) private {
        uint256 p = first;
        while (p <= last) {
            uint256 wordPos = p >> 8;
            uint256 end = (wordPos << 8) | 0xff;
            if (end > last) end = last;
            // end − p + 1 ≤ MAX_RANGE_PERIODS bits: no overflow.
            uint256 bits = ((1 << (end - p + 1)) - 1) << (p & 0xff);
            uint256 word = _committed[generator][wordPos];
            uint256 clash = word & bits;
            if (clash != 0) revert AlreadyCommitted(generator, _lowestPeriod(clash, wordPos));
            _committed[generator][wordPos] = word | bits;
            p = end + 1;
        }
    }

    /// @dev The period of the lowest bit set in `bits` of word `wordPos`.
    function _lowestPeriod(uint256 bits, uint256 wordPos) private pure returns (uint32) {
        uint256 i = 0;
        while (bits & (1 << i) == 0) ++i;
        // A bit of a word of a uint32 period: fits uint32.
        return uint32((wordPos << 8) | i);
    }

    /// @dev Adds one to the counter of every period first..last (eight counters per word).
    function _countCommitment(uint32 first, uint32 last) private {
        uint256 p = first;
        while (p <= last) {
            uint256 word = p >> 3;
            uint256 counts = _counts[word];
            // A counter never exceeds the number of wallets ever registered (< 2^32): no carry.
            do {
                counts += 1 << ((p & 7) << 5);
                ++p;
            } while (p <= last && p & 7 != 0);
            _counts[word] = counts;
        }
    }

    function _checkStepCount(Step[] calldata steps, IDemandResponseMarket.Direction direction) private pure {
        if (steps.length > MAX_STEPS) revert TooManySteps(direction, steps.length, MAX_STEPS);
    }

    /// @dev Every step non-empty, priced within 1..max and above the step before; the total within `maxWh`.
    function _checkSteps(Step[] calldata steps, IDemandResponseMarket.Direction direction, uint256 maxWh) private view {
        uint256 totalWh;
        uint64 previous; // 0: the first step's price (≥ 1) is always above it
        for (uint256 i = 0; i < steps.length; ++i) {
            Step calldata s = steps[i];
            if (s.quantityWh == 0) revert ZeroQuantity(direction, i);
            uint64 price = s.priceUsdPerMWh;
            if (price == 0 || price > _maxPrice) revert PriceOutOfRange(direction, i, price, _maxPrice);
            if (price <= previous) revert StepsNotMonotone(direction, i);
            previous = price;
            totalWh += s.quantityWh;
        }
        if (totalWh > maxWh) revert QuantityAboveCapacity(direction, totalWh, maxWh);
    }

    function _sealedBidDigest(
        address generator,
        uint32 firstPeriod,
        uint32 lastPeriod,
        bytes32 commitment
    ) private view returns (bytes32) {
        // EIP-712 encodes the nested struct member `bid` as its hashStruct: the commitment.
        return
            _hashTypedDataV4(
                keccak256(abi.encode(SEALED_BID_TYPEHASH, generator, firstPeriod, lastPeriod, commitment))
            );
    }

    function _bidTermsHash(BidTerms calldata bid) private pure returns (bytes32) {
        return keccak256(abi.encode(BID_TERMS_TYPEHASH, bid.node, _stepsHash(bid.up), _stepsHash(bid.down), bid.salt));
    }

    /// @dev EIP-712 encodes a struct array as keccak256 of its elements' hashStructs, concatenated.
    function _stepsHash(Step[] calldata steps) private pure returns (bytes32) {
        uint256 n = steps.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            hashes[i] = keccak256(abi.encode(STEP_TYPEHASH, steps[i].quantityWh, steps[i].priceUsdPerMWh));
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
