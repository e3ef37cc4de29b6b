// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDemandResponseMarket} from "./IDemandResponseMarket.sol";

/// @title Sealed bids of generators' flexibility per delivery period, and the centre's selection.
/// @notice Units: energy in Wh over one delivery period; prices in USD/MWh × 1e8 (the scale of the
///         oracle's nodal prices); capacity in W (the registry's); periods and times as in
///         IGridOracle (the period length and the fill gate are read from the market at deployment).
///
///         Timeline of delivery period D, T = period length, every term immutable (terms()):
///           bidGate(D)   = D·T − gateClosureSeconds − studySeconds − revealSeconds
///           revealEnd(D) = bidGate(D) + revealSeconds
///           fillGate(D)  = D·T − gateClosureSeconds            (the market's: fills close)
///         1. Commit, before bidGate(first): a registered generator commits to ONE bid for the
///            delivery periods first..last (1..MAX_RANGE_PERIODS of them, first at most
///            COMMIT_HORIZON_PERIODS ahead). The commitment is the EIP-712 hashStruct of its
///            BidTerms (node, up steps, down steps and a random 32-byte salt: hidden until
///            revealed), and the generator's wallet signs SealedBid(generator, first, last, bid)
///            (EIP-712; the commitment stands for `bid`), so anyone may relay the commitment and
///            nobody but the generator can fill its place. A generator has at most one commitment
///            covering any period: it cannot commit several bids and reveal the one that suits it.
///         2. Reveal, in [bidGate(first), revealEnd(first)): anyone relays the BidTerms; they must
///            hash to the commitment (their signature was checked at commit) and be a valid bid:
///            at the generator's registered node; 1..MAX_STEPS steps per direction, none empty;
///            prices in 1..maxPriceUsdPerMWh, strictly rising from step to step; each direction's
///            total within the generator's registered capacity over one period. A commitment
///            never revealed is simply not in the auction. There is no bond (docs/bids.md: one
///            commitment per period, and a unit nobody revealed a bid for keeps the operator's
///            default terms, so withholding a reveal gains nothing that not bidding does not).
///         3. Study, from revealEnd(D): the centre's redispatch prices the units with the revealed
///            bids covering D (a unit no generator bid for keeps the operation data's terms).
///         4. Selection, in [revealEnd(D), fillGate(D)): a centre (the market's CENTRE_ROLE)
///            publishes, once per period, which bid steps were selected, how much of each and at
///            what price under the pricing rule (pay-as-bid: the step's own price; nodal: the
///            node's price, never below the step's), with the study's input hash; anyone can
///            recompute it from the revealed bids (docs/bids.md). Offers follow, reserved for the
///            selected generators, and are filled before fillGate(D) as any offer.
interface IBidBook {
    /// @notice Where a commitment stands. None: no commitment; Committed: sealed; Revealed: its
    ///         bid is public and in the auction of every period it covers.
    enum BidState {
        None,
        Committed,
        Revealed
    }

    /// @notice How selected steps are paid: Nodal — at the node's price (LMP), never below the
    ///         step's own price; PayAsBid — at the step's own price.
    enum PricingRule {
        Nodal,
        PayAsBid
    }

    /// @notice One price–quantity step of a bid (EIP-712 type Step).
    /// @param quantityWh Energy offered in the step over one delivery period, Wh (> 0).
    /// @param priceUsdPerMWh Price asked for it, USD/MWh × 1e8 (1..maxPriceUsdPerMWh).
    struct Step {
        uint64 quantityWh;
        uint64 priceUsdPerMWh;
    }

    /// @notice What a generator bids (EIP-712 type BidTerms; its hashStruct is the commitment).
    /// @param node The generator's registered node (bus number).
    /// @param up Steps to raise output, in order of strictly rising price (at most MAX_STEPS).
    /// @param down Steps to lower output, in order of strictly rising price (at most MAX_STEPS).
    /// @param salt 32 random bytes that keep the commitment from being guessed.
    struct BidTerms {
        uint32 node;
        Step[] up;
        Step[] down;
        bytes32 salt;
    }

    /// @notice A commitment (stored in one slot: ring entry firstPeriod mod 256 of its generator).
    /// @param firstPeriod First delivery period the bid covers.
    /// @param lastPeriod Last delivery period the bid covers.
    /// @param state Committed or Revealed (None: no commitment starting at firstPeriod).
    /// @param tag The first 26 bytes of the commitment (the BidTerms hashStruct): binding up to
    ///        2^104 work to find two bids with one tag.
    // Packing: the view (the stored form packs the range as first + span in one slot).
    // solhint-disable-next-line gas-struct-packing
    struct Commitment {
        uint32 firstPeriod;
        uint32 lastPeriod;
        BidState state;
        bytes26 tag;
    }

    /// @notice One selected step, as published.
    /// @param generator The bidder.
    /// @param firstPeriod First period of its bid (which identifies the bid: one per generator and period).
    /// @param direction Increase: a step of its `up` list; Decrease: of its `down` list.
    /// @param step Index of the step in that list.
    /// @param quantityWh Energy selected in the step, Wh (at most its quantity).
    /// @param priceUsdPerMWh Price paid for it under the rule, USD/MWh × 1e8.
    // Packing: never stored; 20 + 4 + 1 + 1 + 8 = 34 bytes would not fit one slot anyway.
    // solhint-disable-next-line gas-struct-packing
    struct SelectedStep {
        address generator;
        uint32 firstPeriod;
        IDemandResponseMarket.Direction direction;
        uint8 step;
        uint64 quantityWh;
        uint64 priceUsdPerMWh;
    }

    /// @notice The bid book's terms, fixed at deployment (terms()).
    /// @param periodSeconds Period length, s (the market's, hence the oracle's).
    /// @param gateClosureSeconds The market's fill gate: fills close this long before a delivery period, s.
    /// @param studySeconds Time from the end of the reveal window to the fill gate: the study,
    ///        the selection, the offers and their fills, s.
    /// @param revealSeconds Length of the reveal window, s.
    /// @param bidGateSeconds Commitments close this long before the delivery period starts:
    ///        gateClosureSeconds + studySeconds + revealSeconds, s.
    /// @param maxPriceUsdPerMWh Highest price a step may ask, USD/MWh × 1e8.
    struct Terms {
        uint32 periodSeconds;
        uint32 gateClosureSeconds;
        uint32 studySeconds;
        uint32 revealSeconds;
        uint32 bidGateSeconds;
        uint64 maxPriceUsdPerMWh;
    }

    /// @notice The bid book's terms, emitted once at deployment.
    event TermsSet(Terms terms);
    /// @notice `generator` committed to a bid for periods `firstPeriod`..`lastPeriod`; `commitment`
    ///         is the hashStruct of its BidTerms.
    event BidCommitted(address indexed generator, uint32 indexed firstPeriod, uint32 lastPeriod, bytes32 commitment);
    /// @notice The bid of `generator` for periods `firstPeriod`..`lastPeriod`, revealed: `bid`
    ///         hashes to the commitment (salt included, so anyone can check it).
    event BidRevealed(address indexed generator, uint32 indexed firstPeriod, uint32 lastPeriod, BidTerms bid);
    /// @notice `centre` published the selection of `period`: `steps` under `pricingRule`, from the
    ///         study with input hash `inputHash`; `selectionHash` = keccak256(abi.encode(period,
    ///         pricingRule, inputHash, steps)).
    event SelectionPublished(
        uint32 indexed period,
        address indexed centre,
        PricingRule pricingRule,
        bytes32 inputHash,
        bytes32 selectionHash,
        SelectedStep[] steps
    );

    /// @notice A deployment term is out of range: reveal and study windows of at least 1 s,
    ///         a maximum price of at least 1 unit, the bid gate within uint32 seconds.
    error InvalidTerms(uint32 revealSeconds, uint32 studySeconds, uint64 maxPriceUsdPerMWh);
    /// @notice The market answered no registry address.
    error MarketWithoutRegistry(address market);
    /// @notice A bid covers firstPeriod..lastPeriod: it needs first ≤ last and at most `maxPeriods` periods.
    error InvalidPeriodRange(uint32 firstPeriod, uint32 lastPeriod, uint256 maxPeriods);
    /// @notice Commitments reach at most COMMIT_HORIZON_PERIODS ahead: `firstPeriod` is beyond `latest`.
    error BeyondCommitHorizon(uint32 firstPeriod, uint256 latest);
    /// @notice Commitments for `firstPeriod` closed at `gate` (Unix s).
    error BidGateClosed(uint32 firstPeriod, uint256 gate);
    /// @notice `generator` is not registered.
    error NotRegistered(address generator);
    /// @notice The commitment's signature recovers to `signer`, not to `generator`.
    error WrongSigner(address signer, address generator);
    /// @notice `generator` already has a commitment covering `period`: one per generator and period.
    error AlreadyCommitted(address generator, uint32 period);
    /// @notice `generator` has no commitment starting at `firstPeriod`.
    error NoCommitment(address generator, uint32 firstPeriod);
    /// @notice The bid of `generator` starting at `firstPeriod` is revealed already.
    error AlreadyRevealed(address generator, uint32 firstPeriod);
    /// @notice Reveals for `firstPeriod` open at its bid gate `opensAt` (Unix s): the bid stays sealed until then.
    error RevealNotOpen(uint32 firstPeriod, uint256 opensAt);
    /// @notice Reveals for `firstPeriod` closed at `closedAt` (Unix s): the bid is not in the auction.
    error RevealClosed(uint32 firstPeriod, uint256 closedAt);
    /// @notice The revealed bid does not hash to the commitment of `generator` starting at `firstPeriod`.
    error CommitmentMismatch(address generator, uint32 firstPeriod);
    /// @notice `generator` is registered at `registeredNode`, the bid is for `node`.
    error WrongNode(address generator, uint32 node, uint32 registeredNode);
    /// @notice A bid needs at least one step.
    error EmptyBid();
    /// @notice A direction has `count` steps; at most `max` are allowed.
    error TooManySteps(IDemandResponseMarket.Direction direction, uint256 count, uint256 max);
    /// @notice Step `step` of `direction` offers 0 Wh.
    error ZeroQuantity(IDemandResponseMarket.Direction direction, uint256 step);
    /// @notice Step `step` of `direction` asks `price`; prices must be within 1..`maxPrice` (USD/MWh × 1e8).
    error PriceOutOfRange(IDemandResponseMarket.Direction direction, uint256 step, uint64 price, uint64 maxPrice);
    /// @notice Step `step` of `direction` does not ask more than the step before: prices must rise strictly.
    error StepsNotMonotone(IDemandResponseMarket.Direction direction, uint256 step);
    /// @notice `direction` offers `totalWh` in all; the registered capacity allows `maxWh` over a period.
    error QuantityAboveCapacity(IDemandResponseMarket.Direction direction, uint256 totalWh, uint256 maxWh);
    /// @notice `caller` does not hold the market's CENTRE_ROLE.
    error NotCentre(address caller);
    /// @notice The selection of `period` opens at the end of its reveal window, `opensAt` (Unix s).
    error SelectionNotOpen(uint32 period, uint256 opensAt);
    /// @notice The selection of `period` closed at its fill gate, `closedAt` (Unix s).
    error SelectionClosed(uint32 period, uint256 closedAt);
    /// @notice The selection of `period` was published already (once per period).
    error SelectionAlreadyPublished(uint32 period);
    /// @notice A selection has `length` steps; at most `max` are accepted.
    error TooManyItems(uint256 length, uint256 max);
    /// @notice Selected step `index` is not after the one before in (generator, direction, step)
    ///         order: a selection is sorted, each step at most once.
    error SelectionNotSorted(uint256 index);
    /// @notice Selected step `index` names no revealed bid of `generator` starting at `firstPeriod`
    ///         and covering `period`.
    error NotRevealed(uint256 index, address generator, uint32 firstPeriod, uint32 period);

    /// @notice Posts the commitment of `generator` to a bid for periods `firstPeriod`..`lastPeriod`,
    ///         before bidGate(firstPeriod). Anyone may relay it.
    /// @param commitment The hashStruct of the bid's BidTerms (EIP-712), salt included.
    /// @param signature The generator's EIP-712 signature over SealedBid(generator, firstPeriod,
    ///        lastPeriod, bid), whose `bid` member is encoded as `commitment`.
    function commit(
        address generator,
        uint32 firstPeriod,
        uint32 lastPeriod,
        bytes32 commitment,
        bytes calldata signature
    ) external;

    /// @notice Reveals the bid `generator` committed to for the periods from `firstPeriod`, in
    ///         [bidGate(firstPeriod), revealEnd(firstPeriod)). Anyone may relay it.
    function reveal(address generator, uint32 firstPeriod, BidTerms calldata bid) external;

    /// @notice Publishes the selection of `period` (only the market's centres, once per period, in
    ///         [revealEnd(period), fillGate(period))): `steps` sorted by (generator, direction, step),
    ///         each naming a revealed bid covering `period` (at most MAX_SELECTION steps).
    /// @param inputHash keccak256 of the study's inputs (as the oracle's reports carry it).
    /// @return selectionHash keccak256(abi.encode(period, pricingRule, inputHash, steps)), stored.
    function publishSelection(
        uint32 period,
        PricingRule pricingRule,
        bytes32 inputHash,
        SelectedStep[] calldata steps
    ) external returns (bytes32 selectionHash);

    /// @notice The bid book's terms.
    function terms() external view returns (Terms memory);

    /// @notice Commitments for `period` close at this time (Unix s; 0 when it would be before 1970).
    function bidGate(uint32 period) external view returns (uint256);

    /// @notice Reveals of bids starting at `period` close at this time (Unix s); its selection opens then.
    function revealEnd(uint32 period) external view returns (uint256);

    /// @notice How many generators have a commitment covering `period` (sealed or revealed).
    function commitmentCount(uint32 period) external view returns (uint32);

    /// @notice True when `generator` has a commitment covering `period`.
    function isCommitted(address generator, uint32 period) external view returns (bool);

    /// @notice The commitment of `generator` starting at `firstPeriod` (state None when there is none).
    function commitmentOf(address generator, uint32 firstPeriod) external view returns (Commitment memory);

    /// @notice The stored hash of the selection of `period` (zero when none was published).
    function selectionHashOf(uint32 period) external view returns (bytes32);

    /// @notice True when (pricingRule, inputHash, steps) is exactly the selection published for `period`.
    function verifySelection(
        uint32 period,
        PricingRule pricingRule,
        bytes32 inputHash,
        SelectedStep[] calldata steps
    ) external view returns (bool);

    /// @notice The commitment to `bid`: its EIP-712 hashStruct.
    function bidTermsHash(BidTerms calldata bid) external pure returns (bytes32);

    /// @notice The EIP-712 digest `generator` signs to commit to `commitment` for `firstPeriod`..`lastPeriod`.
    function sealedBidDigest(
        address generator,
        uint32 firstPeriod,
        uint32 lastPeriod,
        bytes32 commitment
    ) external view returns (bytes32);
}
