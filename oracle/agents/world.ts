/**
 * A whole GridSwap market on a development chain, built in one call — the composable factory the
 * demo, the cycle benchmark, the day simulation and the agents' tests share: deploy with every
 * role on its own account, register the generators at their nodes with meter keys, issue their
 * kWh capacity and fund the centre (oracle/chain/deploy.ts), then wire the centre agent, the
 * oracle operators (one per oracle key, each with its own view of the meters), one generator agent
 * per unit and simulated meters into a PeriodPipeline.
 *
 * Accounts are deterministic wallets derived from `seed` (so runs are repeatable) and funded with
 * gas by `funder`.
 */
import { keccak256, parseEther, toUtf8Bytes, Wallet, type Provider, type Signer } from "ethers";
import { GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { applyForecasts, type Forecasts, type PeriodResult } from "../market/period";
import type { RawRpc } from "../chain/clock";
import type { BidBook } from "../../typechain-types";
import { readBidBookTerms, type BidBookTermsData } from "../chain/bids";
import {
  deployBidBook,
  deployGridSwap,
  seedGridSwap,
  type BidBookParams,
  type GridSwapContracts,
  type GridSwapParams,
} from "../chain/deploy";
import { readDomain } from "../chain/typed-data";
import { kwhToWh, usdToUnits } from "../chain/units";
import { CentreAgent, type PlannedOffer } from "./centre";
import type { MeterSource } from "./metering";
import { OperatorDuties } from "./oracle/duties";
import { OracleOperator } from "./oracle/operator";
import type { ReportData } from "./oracle/protocol";
import { GeneratorAgent } from "./generator";
import type { GeneratorPolicy } from "../chain/fill-rule";
import type { BidPolicy } from "./bidding";
import { fullDelivery, PeriodPipeline, type Behaviour, type SimulatedGenerator } from "./pipeline";
import { SimulatedMeters, unitRowAt } from "./simulation";

export interface GeneratorSpec {
  /** Grid node (bus number) of its unit. */
  readonly node: number;
  readonly behaviour?: Behaviour;
  /** Its policy (default: cost 0.01, margin 0.002 USD/kWh, 50 kWh per period). */
  readonly costUsdPerKwh?: number;
  readonly marginUsdPerKwh?: number;
  readonly capacityKwh?: number;
  /** Commitment capacity issued, kWh (default 500), all deposited into the vault. */
  readonly kwh?: number;
  /**
   * Its planned output without trades, MW (a number or one per period): what it nominates and
   * produces untraded. Default: the schedule of the case's unit at its node (after the period's
   * forecasts) for the first generator at a node, 0.05 MW for any other one there.
   */
  readonly plannedMW?: number | ((period: number) => number);
  /** Registered output capacity, MW (default: the unit's PMAX for the first at a node, else 0.5 MW). */
  readonly capacityMW?: number;
  /** How it bids, on a market with a bid book (WorldOptions.bids); absent: it does not bid. */
  readonly bid?: BidPolicy;
}

export interface WorldOptions {
  readonly provider: Provider & RawRpc;
  /** Pays for deployment and funds every account with gas. */
  readonly funder: Signer;
  readonly case: PowerCase;
  readonly caseText: string;
  readonly forecasts?: (deliveryPeriod: number) => Forecasts;
  /** The offers the centre posts for a study (default: the study's own). */
  readonly offersFor?: (study: PeriodResult) => readonly PlannedOffer[];
  readonly generators: readonly GeneratorSpec[];
  /** USD minted to the centre, deposited into the vault (default 1,000). */
  readonly centreUsd?: number;
  /** Oracle signers n and threshold k (default 2-of-3). */
  readonly oracle?: { readonly signers: number; readonly threshold: number };
  /** Market and oracle parameters (the period length comes from the case). */
  readonly params?: Partial<GridSwapParams>;
  /**
   * Whether meters sign their readings and operators require it (default true). false is the
   * insecure devnet mode: whoever writes the meter data decides the measurements.
   */
  readonly signedReadings?: boolean;
  /** The meter data operator `i` reads (default: the simulated meters, the same for all). */
  readonly operatorMeters?: (index: number, meters: SimulatedMeters) => MeterSource;
  /** Reading grace time, s (default 0: simulated meters record at the period's end, before the step). */
  readonly readingGraceSeconds?: number;
  /** Operators stand in for a missing report this long after the grace, per rank, s (default a tenth of a period). */
  readonly standInAfterSeconds?: number;
  /** Changes each report the centre proposes: a dishonest centre (demo and tests). */
  readonly tamper?: (report: ReportData) => ReportData;
  /**
   * A bid book beside the market (docs/bids.md), with these terms: the centre studies with the
   * revealed bids, the operators check them, generators with a `bid` policy commit and reveal.
   */
  readonly bids?: Partial<BidBookParams>;
  /** Seed of the deterministic wallets (default "gridswap"). */
  readonly seed?: string;
  readonly log?: (line: string) => void;
  readonly generatorLog?: (address: string, line: string) => void;
}

export interface World {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  readonly periodSeconds: number;
  readonly accounts: MarketAccounts;
  readonly centre: CentreAgent;
  /** The oracle operators, one per oracle key, and what each does on its own (stand in, correct). */
  readonly operators: readonly OracleOperator[];
  readonly duties: readonly OperatorDuties[];
  readonly generators: readonly (SimulatedGenerator & {
    readonly agent: GeneratorAgent;
    readonly wallet: Wallet;
    readonly policy: GeneratorPolicy;
  })[];
  readonly meters: SimulatedMeters;
  /** The bid book and its terms (WorldOptions.bids). */
  readonly bidBook?: { readonly book: BidBook; readonly terms: BidBookTermsData };
  /** The period pipeline over this world's centre, operators, generators and meters. */
  readonly pipeline: PeriodPipeline;
}

/** The `index`-th deterministic wallet of `seed`, connected to `provider`. */
export function worldWallet(seed: string, label: string, provider: Provider): Wallet {
  return new Wallet(keccak256(toUtf8Bytes(`${seed}/${label}`)), provider);
}

export interface MarketAccounts {
  readonly admin: Wallet;
  readonly centre: Wallet;
  readonly oracleSigners: readonly Wallet[];
  readonly registrar: Wallet;
  readonly issuer: Wallet;
  readonly treasury: Wallet;
  /** Per generator spec, in order: its wallet and its meter key. */
  readonly generators: readonly { readonly wallet: Wallet; readonly meter: Wallet; readonly node: number }[];
}

export interface DeployedMarket {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  readonly periodSeconds: number;
  readonly accounts: MarketAccounts;
}

/**
 * Deploys and seeds a market on any dev chain (no agents): deterministic wallets for every role
 * and generator from `seed`, funded with gas by `funder`; generators registered with meter keys,
 * their kWh issued and deposited; the centre's USD minted and deposited.
 */
export async function deploySeededMarket(
  o: Pick<WorldOptions, "provider" | "funder" | "generators" | "centreUsd" | "oracle" | "params" | "seed"> & {
    readonly periodSeconds: number;
  },
): Promise<DeployedMarket> {
  const seed = o.seed ?? "gridswap";
  const w = (label: string): Wallet => worldWallet(seed, label, o.provider);
  const oracleSpec = o.oracle ?? { signers: 3, threshold: 2 };
  const accounts: MarketAccounts = {
    admin: w("admin"),
    centre: w("centre"),
    oracleSigners: Array.from({ length: oracleSpec.signers }, (_, i) => w(`oracle-${i}`)),
    registrar: w("registrar"),
    issuer: w("issuer"),
    treasury: w("treasury"),
    generators: o.generators.map((g, i) => ({ wallet: w(`generator-${i}`), meter: w(`meter-${i}`), node: g.node })),
  };
  // Gas for every account that sends transactions (meters only sign).
  const funded = [
    accounts.admin,
    accounts.centre,
    accounts.registrar,
    accounts.issuer,
    accounts.treasury,
    ...accounts.oracleSigners,
    ...accounts.generators.map((g) => g.wallet),
  ];
  for (const account of funded) {
    await (await o.funder.sendTransaction({ to: account.address, value: parseEther("10") })).wait();
  }
  const deployBlock = (await o.provider.getBlockNumber()) + 1;
  const contracts = await deployGridSwap(
    o.funder,
    {
      admin: accounts.admin.address,
      centres: [accounts.centre.address],
      oracleSigners: accounts.oracleSigners.map((s) => s.address),
      oracleThreshold: oracleSpec.threshold,
      registrar: accounts.registrar.address,
      issuer: accounts.issuer.address,
      treasury: accounts.treasury.address,
    },
    { ...o.params, periodSeconds: o.periodSeconds },
  );
  await seedGridSwap(contracts, accounts, {
    generators: o.generators.map((g, i) => {
      const wh = kwhToWh(g.kwh ?? 500);
      return {
        signer: accounts.generators[i].wallet,
        node: g.node,
        meterKey: accounts.generators[i].meter.address,
        capacityW: Math.round((g.capacityMW ?? 1) * 1e6),
        issueWh: wh,
        depositWh: wh,
      };
    }),
    centres: [
      {
        signer: accounts.centre,
        mintUsd: usdToUnits(o.centreUsd ?? 1000),
        depositUsd: usdToUnits(o.centreUsd ?? 1000),
      },
    ],
  });
  return { contracts, deployBlock, periodSeconds: o.periodSeconds, accounts };
}

export async function buildWorld(o: WorldOptions): Promise<World> {
  const minutes = o.case.operation?.periodMinutes;
  if (!minutes) throw new Error(`${o.case.name}: a market needs a case with operation data`);
  const periodSeconds = minutes * 60;
  for (const g of o.generators) {
    const unit = o.case.operation?.units.some((u) => o.case.gen[u.gen - 1][GEN.GEN_BUS] === g.node);
    if (!unit) throw new Error(`generator at node ${g.node}: the case has no redispatch unit there`);
  }
  // Each generator's own planned output and capacity: the case's unit at its node for the first one there.
  const firstAt = new Map<number, number>();
  o.generators.forEach((g, i) => firstAt.set(g.node, firstAt.get(g.node) ?? i));
  const planned = o.generators.map((g, i) => {
    if (typeof g.plannedMW === "number") return () => g.plannedMW as number;
    if (g.plannedMW) return g.plannedMW;
    if (firstAt.get(g.node) !== i) return () => 0.05;
    return (period: number): number => {
      const c = applyForecasts(o.case, o.forecasts?.(period) ?? {});
      const row = unitRowAt(c, g.node);
      return row >= 0 ? c.gen[row][GEN.PG] : 0;
    };
  });
  const generatorSpecs = o.generators.map((g, i) => {
    const row = unitRowAt(o.case, g.node);
    const pmax = row >= 0 && firstAt.get(g.node) === i ? o.case.gen[row][GEN.PMAX] : 0.5;
    return { ...g, capacityMW: g.capacityMW ?? pmax };
  });
  const { contracts, deployBlock, accounts } = await deploySeededMarket({
    ...o,
    generators: generatorSpecs,
    periodSeconds,
  });
  const generatorWallets = accounts.generators;
  const book = o.bids ? (await deployBidBook(o.funder, contracts.market, o.bids)).connect(o.provider) : undefined;
  const bidBook = book && { book, terms: await readBidBookTerms(book) };
  const oracleDomain = await readDomain(contracts.oracle);
  const signed = o.signedReadings ?? true;
  const meters = new SimulatedMeters(o.provider, signed ? oracleDomain : undefined);
  const readingGraceSeconds = o.readingGraceSeconds ?? 0;
  const operators = accounts.oracleSigners.map(
    (signer) =>
      new OracleOperator({
        contracts: connect(contracts, o.provider),
        deployBlock,
        signer,
        case: o.case,
        caseText: o.caseText,
        bids: book,
        meters: o.operatorMeters ? o.operatorMeters(accounts.oracleSigners.indexOf(signer), meters) : meters,
        requireSignedReadings: signed,
        readingGraceSeconds,
        log: o.log ? (line) => o.log?.(`operator ${signer.address.slice(0, 10)}: ${line}`) : undefined,
      }),
  );
  const duties = operators.map(
    (operator, i) =>
      new OperatorDuties({
        contracts: connect(contracts, o.provider),
        deployBlock,
        operator,
        peers: operators.filter((x) => x !== operator),
        relayer: accounts.oracleSigners[i],
        readingGraceSeconds,
        standInAfterSeconds: o.standInAfterSeconds,
        log: o.log
          ? (line) => o.log?.(`operator ${accounts.oracleSigners[i].address.slice(0, 10)}: ${line}`)
          : undefined,
      }),
  );
  const centre = new CentreAgent({
    contracts: connect(contracts, o.provider),
    deployBlock,
    centre: accounts.centre,
    operators,
    case: o.case,
    caseText: o.caseText,
    forecasts: o.forecasts,
    offersFor: o.offersFor,
    bids: book,
    readingGraceSeconds,
    tamper: o.tamper,
    log: o.log,
  });
  const generators = o.generators.map((g, i) => {
    const wallet = generatorWallets[i].wallet;
    const policy: GeneratorPolicy = {
      address: wallet.address,
      node: g.node,
      costUsdPerKwh: g.costUsdPerKwh ?? 0.01,
      marginUsdPerKwh: g.marginUsdPerKwh ?? 0.002,
      capacityKwh: g.capacityKwh ?? 50,
      plannedMW: planned[i],
    };
    const agent = new GeneratorAgent({
      contracts: connect(contracts, o.provider),
      deployBlock,
      wallet,
      policy,
      // Its own meter's signed readings, to dispute a measurement that differs from them.
      meter: signed ? meters : undefined,
      bids: book && g.bid ? { book, policy: g.bid } : undefined,
      log: o.generatorLog ? (line) => o.generatorLog?.(wallet.address, line) : undefined,
    });
    return {
      address: wallet.address,
      agent,
      wallet,
      policy,
      meter: generatorWallets[i].meter,
      node: g.node,
      behaviour: g.behaviour ?? fullDelivery,
      plannedMW: planned[i],
    };
  });
  const pipeline = new PeriodPipeline({
    provider: o.provider,
    centreContracts: connect(contracts, o.provider),
    periodSeconds,
    case: o.case,
    forecasts: o.forecasts,
    centre,
    operators: duties,
    generators,
    meters,
    bidTerms: bidBook?.terms,
  });
  return {
    contracts,
    deployBlock,
    periodSeconds,
    accounts,
    centre,
    operators,
    duties,
    generators,
    meters,
    bidBook,
    pipeline,
  };
}

/** The contracts attached to a read-only provider (agents connect their own signers per call). */
function connect(c: GridSwapContracts, provider: Provider): GridSwapContracts {
  return {
    registry: c.registry.connect(provider),
    usd: c.usd.connect(provider),
    kwh: c.kwh.connect(provider),
    oracle: c.oracle.connect(provider),
    market: c.market.connect(provider),
  };
}
