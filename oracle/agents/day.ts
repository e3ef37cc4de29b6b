/**
 * A day on the grid (issue #13): every market period of a date runs the whole market — load flow,
 * violations, redispatch, prices, signed offers, generator agents deciding by their own policies,
 * simulated meters (some generators under-deliver, per the seed), the k-of-n report and the
 * settlement — on any dev chain, or on the grid side alone (`chain` omitted: offers taken as filled
 * and delivered). A library, so the command line (scripts/simulate.ts), the benchmarks and the
 * dashboard share it.
 *
 * Timeline: the chain's period P0 + k delivers day period k. The centre studies it during the
 * period before (P0 + k − 1), posts offers that generators fill before it starts; its measurement
 * is reported in P0 + k + 1 and final one dispute window later. After the last day period a short
 * tail of periods (no new offers: the centre steps after the gate has closed) reports and settles
 * what the day traded. The chain's clock cannot go back, so when the date lies before the chain's
 * present, the day runs on the next chain periods at the same time of day (records keep both).
 *
 * Everything the day produced is read back from the chain at the end (fills, settlements,
 * unwinds, balances): the figures are the chain's, checked against the balances (conservation).
 */
import { basename } from "node:path";
import { Interface, type Provider, type Signer } from "ethers";
import { BRANCH, BUS, GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { DEFAULT_LIMIT_VIOLATION_PRICE } from "../grid/case/operation";
import type { LimitReport } from "../grid/limits/checks";
import type { PowerFlowResult } from "../grid/pf/results";
import { runPeriod, type PeriodResult } from "../market/period";
import type { CivilDate, LoadProfile } from "../market/profiles";
import { SeededRandom } from "../market/random";
import { buildDayScenario, ScenarioError, type DayScenario, type PeriodScenario } from "../market/scenario";
import { readMarketEvents } from "../chain/board";
import { advanceDevChain, chainNow, type RawRpc } from "../chain/clock";
import { bookKeyId } from "../chain/market-data";
import type { GeneratorSpec, World } from "./world";
import type { Behaviour } from "./simulation";

/** Periods after the day in which the centre only reports and settles (no offers). */
const MAX_TAIL_PERIODS = 4;
/** Generator agents when not told: every redispatch unit, at most this many. */
const MAX_DEFAULT_GENERATORS = 10;

export interface DayConfig {
  readonly case: PowerCase;
  readonly date: CivilDate;
  /** The first period simulated, counted from local midnight (default 0), and how many. */
  readonly start?: number;
  readonly periods: number;
  readonly profile: LoadProfile;
  readonly pv: {
    readonly peakMW?: number;
    readonly latitude: number;
    readonly longitude: number;
    readonly clouds: number;
  };
  readonly utcOffsetHours?: number;
  readonly holidays?: readonly string[];
  /**
   * Generator agents (= the market units, one per node). Default: every redispatch unit, at most
   * 10 on a chain (for a derived operation, those most able to relieve the limited lines).
   */
  readonly generators?: number;
  /** For a case without operation data: lines limited and their limit as a fraction of the peak flow. */
  readonly congestedLines?: number;
  readonly limitFraction?: number;
  readonly seed: string;
  /**
   * The chain to run the market on (or a function that connects to it, called once every input
   * has been checked); omitted: the grid side only.
   */
  readonly chain?: ChainSpec | (() => Promise<ChainSpec>);
  /** Called after every day period with its record and the running totals. */
  readonly onPeriod?: (record: PeriodRecord, progress: DayProgress) => void;
  /** Every agent's log line ("centre: …", "gen@27: …"). */
  readonly log?: (line: string) => void;
}

export interface ChainSpec {
  readonly provider: Provider & RawRpc;
  readonly funder: Signer;
  /** Called once GridSwap is deployed and seeded (e.g. to write a deployment file). */
  readonly onDeployed?: (world: World) => void | Promise<void>;
}

export interface DayProgress {
  readonly done: number;
  readonly total: number;
  /** Periods congested in the study, cleared by the redispatch plan, and over a limit as delivered. */
  readonly congested: number;
  readonly clearedByPlan: number;
  readonly overAsDelivered: number;
  /** USD paid to generators so far (settlements seen by their agents). */
  readonly usdPaid: number;
  readonly elapsedSeconds: number;
}

export interface LimitCounts {
  /** Lines over their active limit or MVA rating, buses outside their voltage band, frequency outside its band. */
  readonly lines: number;
  readonly voltages: number;
  readonly frequency: boolean;
  /** Largest |mean flow| / active limit over the limited lines (1 = at the limit). */
  readonly maxLoading: number;
}

/** A line over its limit, for people: 1-based branch row, its ends, the flow (MW, or MVA for a rating) and the limit. */
export interface LineOverLimit {
  readonly branchRow: number;
  readonly from: number;
  readonly to: number;
  readonly value: number;
  readonly limit: number;
}

/** A period whose grid as delivered had a line over its limit, with the lines named ("24-27"). */
export interface PeriodOverLimit {
  readonly index: number;
  readonly date: string;
  readonly localTime: string;
  readonly lines: readonly string[];
}

export interface UnitAdjustment {
  readonly genRow: number;
  readonly node: number;
  readonly kind: string;
  readonly scheduledMW: number;
  readonly adjustedMW: number;
  readonly deltaMW: number;
}

export interface PeriodRecord {
  /** Day period (0 = the first of the date), its local date and time, and its real start (Unix s). */
  readonly index: number;
  readonly date: string;
  readonly localTime: string;
  readonly utcStart: number;
  readonly periodMinutes: number;
  /** The chain period that delivered it and its start (null on the grid side only). */
  readonly chainPeriod: number | null;
  readonly chainStart: number | null;
  readonly demandMW: number;
  readonly pvMW: number;
  readonly pvAvailability: number;
  readonly cloudCover: number;
  readonly netLoadMW: number;
  readonly lossesMW: number;
  readonly before: LimitCounts;
  /** The limits violated before redispatch (lines only), for people. */
  readonly violatedLines: readonly LineOverLimit[];
  readonly redispatch: {
    readonly status: string;
    readonly rounds: number;
    /**
     * What the adjustments cost at the units' own bids, plus the master's energy change at its
     * price, over the period, USD: the LP objective without its elastic-slack penalties.
     */
    readonly costUsd: number;
    readonly adjustments: readonly UnitAdjustment[];
    readonly unmet: readonly { description: string; excessMW: number }[];
  };
  /** The post-redispatch AC load flow, and the lines still over a limit there. */
  readonly after: LimitCounts;
  readonly violatedLinesAfter: readonly LineOverLimit[];
  readonly prices: {
    readonly energyUsdPerMWh: number;
    readonly minUsdPerMWh: number;
    readonly maxUsdPerMWh: number;
    /** Total LMP by node: every bus for cases up to 200 buses, else the market units' nodes. */
    readonly byNode: Readonly<Record<string, number>>;
  };
  readonly offers: readonly {
    genRow: number;
    node: number;
    direction: string;
    kwh: number;
    usd: number;
    usdPerMWh: number;
  }[];
  readonly offersUsd: number;
  readonly offersKwh: number;
  /** Offers the centre signed and posted on chain, and their USD (null on the grid side only). */
  readonly posted: number | null;
  readonly postedUsd: number | null;
  /** Fills of this period's offers: count, kWh, USD (the grid side only: every offer, in full). */
  readonly fills: number;
  readonly filledKwh: number;
  readonly filledUsd: number;
  /** Per market unit: scheduled (baseline) and actual output, the committed move (MW). */
  readonly delivery: readonly {
    node: number;
    scheduledMW: number;
    committedMW: number;
    actualMW: number;
    meterOffline: boolean;
  }[];
  /** |committed| and the part of it delivered in the commitment's direction, kWh. */
  readonly committedKwh: number;
  readonly deliveredKwh: number;
  /** The delivery period as it ran (what was delivered, not what was promised), and the lines over a limit there. */
  readonly actual: LimitCounts & { readonly vmMin: number; readonly vmMax: number; readonly vmMean: number };
  readonly violatedLinesActual: readonly LineOverLimit[];
  /**
   * Settlement of this period's positions (whenever it happened): USD to generators, kWh to the
   * centre, positions settled and still open at the end (null on the grid side only).
   */
  readonly usdPaid: number | null;
  readonly kwhMoved: number | null;
  readonly positionsSettled: number | null;
  readonly positionsOpen: number | null;
  /** Gas of every transaction of the period's market step (report, settlements, offers, fills). */
  readonly gas: number | null;
  readonly gasByFunction: Readonly<Record<string, number>>;
  /** Wall time of the period's step (study, chain, agents, delivery), ms. */
  readonly wallMs: number;
  readonly problems: readonly string[];
}

export interface GeneratorRecord {
  readonly address: string | null;
  readonly node: number;
  readonly genRow: number;
  readonly behaviour: "full" | "partial" | "none";
  readonly costUsdPerKwh: number;
  readonly marginUsdPerKwh: number;
  readonly capacityKwh: number;
  /** kWh issued to it and deposited into the market's vault before the day. */
  readonly kwhIssued: number;
  readonly fills: number;
  readonly rejected: number;
  readonly committedKwh: number;
  readonly deliveredKwh: number;
  readonly usdPaid: number;
  readonly kwhSold: number;
  readonly kwhPenalty: number;
}

export interface DaySummary {
  readonly case: string;
  readonly date: string;
  readonly dayTypes: readonly string[];
  readonly seed: string;
  readonly chain: boolean;
  readonly periods: number;
  /** Length of a market period, minutes. */
  readonly periodMinutes: number;
  /** The load profile's file name. */
  readonly profile: string;
  /**
   * Planned: periods whose study had a line over its limit before redispatch, each with its lines
   * (named "11-14"), and every line that was.
   */
  readonly congestedPeriods: number;
  readonly congested: readonly PeriodOverLimit[];
  readonly congestedLines: readonly string[];
  /** Planned: of those, the periods whose post-redispatch AC load flow (the plan) has every line within its limits. */
  readonly clearedByPlanPeriods: number;
  /**
   * As delivered: periods whose load flow with the outputs the generators delivered had a line over
   * its limit (each with its lines), and the congested periods that had none.
   */
  readonly overLimitAsDeliveredPeriods: number;
  readonly overLimitAsDelivered: readonly PeriodOverLimit[];
  readonly clearedAsDeliveredPeriods: number;
  /** Limits the redispatch could not meet, summed over periods (each named in periods.json). */
  readonly unmetLimits: number;
  readonly voltagePeriods: number;
  /** Σ redispatch cost at the bids (+ master energy), USD; Σ offered by the studies; Σ paid on chain. */
  readonly redispatchCostUsd: number;
  /** USD of the offers the centre posted on chain (the grid side only: of every offer studied). */
  readonly offeredUsd: number;
  readonly usdPaid: number | null;
  /** kWh moved to the centre (sold + penalties), of which penalties. */
  readonly kwhMoved: number | null;
  readonly kwhPenalty: number | null;
  /** Σ delivered / Σ committed over settled positions. */
  readonly deliveryRatio: number | null;
  /** Offers posted on chain (the grid side only: every offer studied), fills and the kWh committed by them. */
  readonly offers: number;
  readonly kwhFilled: number;
  /** The market units that delivered less than they committed (the meters' record, kWh), behind the delivery ratio. */
  readonly shortfalls: readonly { node: number; behaviour: string; committedKwh: number; deliveredKwh: number }[];
  readonly trades: number | null;
  readonly openPositions: number | null;
  readonly gasTotal: number | null;
  readonly gasPerTrade: number | null;
  /** Gas of deployment and seeding (not in gasTotal). */
  readonly gasSetup: number | null;
  readonly gasByFunction: Readonly<Record<string, number>> | null;
  readonly tailPeriods: number;
  readonly demandMWh: number;
  readonly pvMWh: number;
  readonly wallSeconds: number;
  /** On-chain balance changes against the settlements (null on the grid side only). */
  readonly conservation: Conservation | null;
  readonly notes: readonly string[];
}

export interface Conservation {
  readonly ok: boolean;
  /** USD·1e-8 and Wh, as decimal strings (exact). */
  readonly usd: { paid: string; generatorsGained: string; centreSpent: string; openEscrow: string };
  readonly kwh: { toCentre: string; centreGained: string; generatorsSpent: string; openEscrow: string };
}

export interface DayResult {
  readonly summary: DaySummary;
  readonly periods: readonly PeriodRecord[];
  readonly generators: readonly GeneratorRecord[];
  /** Loading (|mean flow| / limit) of the limited lines per period: before redispatch and as delivered. */
  readonly lines: {
    readonly names: readonly { branchRow: number; from: number; to: number; limitMW: number }[];
    readonly before: readonly (readonly number[])[];
    readonly actual: readonly (readonly number[])[];
  };
  /** The voltage band of the case (lowest VMIN, highest VMAX), p.u. */
  readonly voltageBand: { readonly min: number; readonly max: number };
  /** The case the market ran on (with its operation data), as JSON text. */
  readonly caseText: string;
  /** Where the day ran on chain (null on the grid side only). */
  readonly chain: {
    readonly deployBlock: number;
    readonly addresses: Readonly<Record<string, string>>;
    readonly centre: string;
    /** The chain period that delivered the first simulated period. */
    readonly firstPeriod: number;
    readonly centreUsdIssued: number;
  } | null;
  readonly scenario: DayScenario;
}

/** Runs the day; every bad input is an error before the first period. */
export async function simulateDay(config: DayConfig): Promise<DayResult> {
  const started = performance.now();
  const random = new SeededRandom(config.seed);
  const tail = config.chain ? MAX_TAIL_PERIODS : 0;
  const first = config.start ?? 0;
  if (!Number.isInteger(first) || first < 0) {
    throw new ScenarioError(`the first period must be a period of the day (0, 1, …), got ${first}`);
  }
  if (!Number.isInteger(config.periods) || config.periods <= 0) {
    throw new ScenarioError(`the number of periods must be a positive integer, got ${config.periods}`);
  }
  const scenario = buildDayScenario(config.case, {
    date: config.date,
    periods: first + config.periods,
    profile: config.profile,
    holidays: config.holidays,
    utcOffsetHours: config.utcOffsetHours,
    pv: config.pv,
    congestedLines: config.congestedLines,
    limitFraction: config.limitFraction,
    marketUnits: config.generators,
    // Every redispatch unit becomes a generator agent with a wallet: at most 10 unless asked for more.
    maxMarketUnits: config.chain ? MAX_DEFAULT_GENERATORS : undefined,
    before: 1,
    after: tail + 1,
    random,
  });
  if (first >= 1440 / scenario.periodMinutes) {
    throw new ScenarioError(`the first period must start within the date (before 24:00), got period ${first}`);
  }
  const chain = typeof config.chain === "function" ? await config.chain() : config.chain;
  const market = scenario.case;
  const operation = market.operation!;
  const caseText = `${JSON.stringify(market)}\n`;
  const units = operation.units.map((u) => ({ genRow: u.gen, node: market.gen[u.gen - 1][GEN.GEN_BUS], unit: u }));
  const hours = operation.periodMinutes / 60;
  const plans = units.map((u, i) => generatorPlan(u, hours, config.periods + tail, random, i));
  const lineSet = limitedLineSet(market);
  const unitNodes = units.map((u) => u.node);
  const records: PeriodRecord[] = [];
  const lineBefore: number[][] = [];
  const lineActual: number[][] = [];
  const progress = { congested: 0, clearedByPlan: 0, overAsDelivered: 0, usdPaid: 0 };
  const finish = (record: PeriodRecord, before: number[], actual: number[]): void => {
    records.push(record);
    lineBefore.push(before);
    lineActual.push(actual);
    if (record.before.lines > 0) {
      progress.congested++;
      if (record.after.lines === 0) progress.clearedByPlan++;
    }
    if (record.actual.lines > 0) progress.overAsDelivered++;
    config.onPeriod?.(record, {
      done: records.length,
      total: config.periods,
      congested: progress.congested,
      clearedByPlan: progress.clearedByPlan,
      overAsDelivered: progress.overAsDelivered,
      usdPaid: progress.usdPaid,
      elapsedSeconds: (performance.now() - started) / 1000,
    });
  };

  let chainPart: ChainOutcome | null = null;
  if (!chain) {
    let start: { vm: Float64Array; va: Float64Array } | undefined;
    for (let k = first; k < first + config.periods; k++) {
      const t = performance.now();
      const p = scenario.at(k);
      const study = await runPeriod(market, { ...p.forecasts, periodStart: p.utcStart }, { start });
      start = { vm: study.loadFlow.point.vm, va: study.loadFlow.point.va };
      // The grid side alone: every offer filled and delivered in full, so the period runs as redispatched.
      const delivered = study.redispatch.loadFlow;
      const record = periodRecord(p, study, market, unitNodes, lineSet, {
        chainPeriod: null,
        chainStart: null,
        fills: study.offers.map((o) => ({ kwh: o.kwh, usd: o.usd })),
        posted: null,
        delivery: study.redispatch.adjustments.map((a) => ({
          node: a.unit.busId,
          scheduledMW: a.scheduledMW,
          committedMW: a.deltaMW,
          actualMW: a.adjustedMW,
          meterOffline: false,
        })),
        actualFlow: delivered,
        actualLimits: study.redispatch.violations,
        gas: null,
        gasByFunction: {},
        wallMs: performance.now() - t,
        problems: [],
      });
      finish(record, loadings(study.loadFlow, lineSet), loadings(delivered, lineSet));
    }
  } else {
    const outcome = await runOnChain(
      config,
      chain,
      first,
      scenario,
      caseText,
      units,
      plans,
      lineSet,
      unitNodes,
      finish,
      progress,
      records,
    );
    // Positions settle periods after their delivery: the chain's figures per delivery period, read at the end.
    records.forEach((r, n) => {
      const s = outcome.perPeriod.get(r.index);
      records[n] = {
        ...r,
        usdPaid: s?.usd ?? 0,
        kwhMoved: s?.kwh ?? 0,
        positionsSettled: s?.settled ?? 0,
        positionsOpen: s?.open ?? 0,
      };
    });
    chainPart = outcome;
  }

  const generators: GeneratorRecord[] = units.map((u, i) => {
    const c = chainPart?.perGenerator[i];
    const own = records.flatMap((r) => r.delivery.filter((d) => d.node === u.node));
    return {
      address: c?.address ?? null,
      node: u.node,
      genRow: u.genRow,
      behaviour: plans[i].behaviour,
      costUsdPerKwh: plans[i].costUsdPerKwh,
      marginUsdPerKwh: plans[i].marginUsdPerKwh,
      capacityKwh: plans[i].capacityKwh,
      kwhIssued: chain ? plans[i].kwh : 0,
      fills: c?.fills ?? records.reduce((n, r) => n + r.offers.filter((o) => o.node === u.node).length, 0),
      rejected: c?.rejected ?? 0,
      committedKwh: own.reduce((s, d) => s + Math.abs(d.committedMW) * hours * 1000, 0),
      deliveredKwh: own.reduce((s, d) => s + deliveredInDirection(d) * hours * 1000, 0),
      usdPaid: c
        ? c.usdPaid
        : records.reduce((s, r) => s + r.offers.filter((o) => o.node === u.node).reduce((x, o) => x + o.usd, 0), 0),
      kwhSold: c?.kwhSold ?? 0,
      kwhPenalty: c?.kwhPenalty ?? 0,
    };
  });
  const summary = summarise(
    config,
    scenario,
    records,
    generators,
    chainPart,
    tail,
    (performance.now() - started) / 1000,
  );
  const vm = market.bus.filter((b) => b[BUS.BUS_TYPE] !== 4);
  return {
    summary,
    periods: records,
    generators,
    lines: { names: lineSet.names, before: lineBefore, actual: lineActual },
    voltageBand: { min: Math.min(...vm.map((b) => b[BUS.VMIN])), max: Math.max(...vm.map((b) => b[BUS.VMAX])) },
    caseText,
    chain: chainPart?.where ?? null,
    scenario,
  };
}

// ---------------------------------------------------------------------------------------------
// Generators: policies and behaviours drawn from the seed.

interface MarketUnitRef {
  readonly genRow: number;
  readonly node: number;
  readonly unit: {
    readonly kind: string;
    readonly upPrice: number;
    readonly downPrice: number;
    readonly rampMW: number;
  };
}

interface GeneratorPlan {
  readonly behaviour: "full" | "partial" | "none";
  readonly costUsdPerKwh: number;
  readonly marginUsdPerKwh: number;
  /** Largest commitment per period and direction: its ramp over one period, kWh. */
  readonly capacityKwh: number;
  /** kWh issued and deposited: a commitment every period of the day and its tail. */
  readonly kwh: number;
  /** Fraction delivered of a commitment in day period `index` (partial: 0.5–0.9, drawn per period). */
  fraction(index: number): number;
}

/**
 * 80 % of generators deliver in full, 15 % partly (50–90 % of each commitment, drawn per period),
 * 5 % not at all. Cost: 40–105 % of the unit's cheaper bid, margin 2–10 % of it (USD/kWh), so a
 * few offers priced near the bid are refused.
 */
function generatorPlan(
  u: MarketUnitRef,
  hours: number,
  periods: number,
  random: SeededRandom,
  i: number,
): GeneratorPlan {
  const own = random.fork(`generator/${i}/node/${u.node}`);
  const draw = own.next();
  const behaviour = draw < 0.8 ? "full" : draw < 0.95 ? "partial" : "none";
  // A PV array only curtails: its bid is the lowering price; others trade both ways.
  const asked = u.unit.kind === "renewable" ? u.unit.downPrice : Math.min(u.unit.upPrice, u.unit.downPrice);
  const bid = Math.max(1e-3, asked) / 1000; // USD/kWh
  const costUsdPerKwh = round6(bid * own.uniform(0.4, 1.05));
  const marginUsdPerKwh = round6(bid * own.uniform(0.02, 0.1));
  const capacityKwh = Math.max(1, Math.ceil(u.unit.rampMW * hours * 1000));
  return {
    behaviour,
    costUsdPerKwh,
    marginUsdPerKwh,
    capacityKwh,
    kwh: capacityKwh * (periods + 2),
    fraction: (index) =>
      behaviour === "full"
        ? 1
        : behaviour === "none"
          ? 0
          : new SeededRandom(`${own.seed}/period/${index}`).uniform(0.5, 0.9),
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

// ---------------------------------------------------------------------------------------------
// The chain.

interface ChainOutcome {
  readonly perGenerator: {
    address: string;
    fills: number;
    rejected: number;
    usdPaid: number;
    kwhSold: number;
    kwhPenalty: number;
  }[];
  readonly trades: number;
  readonly openPositions: number;
  /** Per day period: USD paid and kWh moved for its positions, positions settled and left open. */
  readonly perPeriod: Map<number, { usd: number; kwh: number; settled: number; open: number }>;
  readonly usdPaidUnits: bigint;
  readonly kwhToCentreWh: bigint;
  readonly kwhPenaltyWh: bigint;
  readonly deliveredWh: bigint;
  readonly committedWh: bigint;
  readonly gasTotal: number;
  readonly gasSetup: number;
  readonly gasByFunction: Record<string, number>;
  readonly tailPeriods: number;
  readonly conservation: Conservation;
  readonly where: NonNullable<DayResult["chain"]>;
}

async function runOnChain(
  config: DayConfig,
  chain: ChainSpec,
  first: number,
  scenario: DayScenario,
  caseText: string,
  units: readonly MarketUnitRef[],
  plans: readonly GeneratorPlan[],
  lineSet: LineSet,
  unitNodes: readonly number[],
  finish: (record: PeriodRecord, before: number[], actual: number[]) => void,
  progress: { usdPaid: number },
  records: readonly PeriodRecord[],
): Promise<ChainOutcome> {
  const { provider, funder } = chain;
  const market = scenario.case;
  const periodSeconds = scenario.periodMinutes * 60;
  const log = config.log ?? (() => undefined);
  const setupFrom = (await provider.getBlockNumber()) + 1;

  // Day period first + n ↔ chain period p0 + n (p0 set once the chain's clock is known).
  let p0 = Number.NaN;
  const dayIndex = (chainPeriod: number): number =>
    Math.min(Math.max(first + chainPeriod - p0, first - 1), first + config.periods + MAX_TAIL_PERIODS);
  const behaviourOf =
    (plan: GeneratorPlan): Behaviour =>
    (commitment) =>
      plan.fraction(dayIndex(commitment.period));
  const specs: GeneratorSpec[] = units.map((u, i) => ({
    node: u.node,
    behaviour: behaviourOf(plans[i]),
    costUsdPerKwh: plans[i].costUsdPerKwh,
    marginUsdPerKwh: plans[i].marginUsdPerKwh,
    capacityKwh: plans[i].capacityKwh,
    kwh: plans[i].kwh,
  }));
  // Enough USD for every unit moving its full ramp each period at up to 1,000 USD/MWh.
  const centreUsd = Math.max(
    10_000,
    Math.ceil(plans.reduce((s, p) => s + p.capacityKwh, 0) * (config.periods + MAX_TAIL_PERIODS)),
  );
  const nodeOf = new Map<string, number>();
  // Loaded here: the contract factories are large, and the grid side alone never needs them.
  const { buildWorld } = await import("./world");
  const world = await buildWorld({
    provider,
    funder,
    case: market,
    caseText,
    forecasts: (deliveryPeriod) => scenario.at(dayIndex(deliveryPeriod)).forecasts,
    generators: specs,
    centreUsd,
    seed: config.seed,
    log: (line) => log(`centre: ${line}`),
    generatorLog: (address, line) => log(`gen@${nodeOf.get(address) ?? address.slice(0, 10)}: ${line}`),
  });
  world.generators.forEach((g) => nodeOf.set(g.wallet.address, g.node));
  const { contracts } = world;
  const gasMeter = new GasMeter(provider, world);
  const gasSetup = (await new GasMeter(provider, world, await funder.getAddress()).since(setupFrom)).total;
  await chain.onDeployed?.(world);

  // The first delivery period: the date's own when it still lies ahead, else the next period at
  // the same time of day.
  const nowPeriod = Math.floor((await chainNow(provider)) / periodSeconds);
  const dayStart = Math.round(scenario.at(first).utcStart / periodSeconds);
  const perDay = Math.round(86400 / periodSeconds);
  p0 = dayStart >= nowPeriod + 2 ? dayStart : nowPeriod + 2 + mod(dayStart - (nowPeriod + 2), perDay);
  const leadIn = await world.simulation.startPeriod(p0 - 1);
  if (leadIn !== p0 - 1) throw new Error(`the chain moved past period ${p0 - 1} while the world was built`);
  await world.simulation.recordSchedule(leadIn);
  const balancesBefore = await balances(world);

  const fillsOf = world.generators.map(() => 0);
  const rejectedOf = world.generators.map(() => 0);
  for (let n = 0; n < config.periods; n++) {
    const t = performance.now();
    const fromBlock = (await provider.getBlockNumber()) + 1;
    const step = await world.simulation.runPeriod();
    const gas = await gasMeter.since(fromBlock);
    const p = scenario.at(first + n);
    const study = step.centre.study;
    if (!study) throw new Error(`period ${step.period}: the centre made no study of period ${step.deliveryPeriod}`);
    if (step.deliveryPeriod !== p0 + n)
      throw new Error(`expected delivery period ${p0 + n}, ran ${step.deliveryPeriod}`);
    const fills: { kwh: number; usd: number }[] = [];
    step.generators.forEach((g, i) => {
      for (const { fill } of g.poll.filled) {
        if (fill.period !== step.deliveryPeriod) continue;
        fills.push({ kwh: Number(fill.amountWh) / 1000, usd: Number(fill.usd) / 1e8 });
      }
      fillsOf[i] += g.poll.filled.length;
      rejectedOf[i] += g.poll.rejected.length;
      for (const s of g.poll.settled) progress.usdPaid += Number(s.settlement.usdToGenerator) / 1e8;
    });
    const record = periodRecord(p, study, market, unitNodes, lineSet, {
      chainPeriod: step.deliveryPeriod,
      chainStart: step.deliveryPeriod * periodSeconds,
      fills,
      posted: step.centre.posted.map((o) => ({ usd: Number(o.offer.usd) / 1e8 })),
      delivery: step.delivery.map((d) => ({
        node: d.node,
        scheduledMW: d.scheduledMW,
        committedMW: d.committedMW,
        actualMW: d.actualMW,
        meterOffline: d.meterOffline,
      })),
      actualFlow: step.actual.loadFlow,
      actualLimits: step.actual.limits,
      gas: gas.total,
      gasByFunction: gas.byFunction,
      wallMs: performance.now() - t,
      problems: [...step.centre.problems, ...step.centre.dropped],
    });
    finish(record, loadings(study.loadFlow, lineSet), loadings(step.actual.loadFlow, lineSet));
  }

  // The tail: report and settle what the day traded, posting nothing new.
  const terms = await contracts.market.terms();
  const lastDelivery = p0 + config.periods - 1;
  let tailPeriods = 0;
  let tailGas = { total: 0, byFunction: {} as Record<string, number> };
  for (; tailPeriods < MAX_TAIL_PERIODS; tailPeriods++) {
    const open = await openDayPositions(world, p0, lastDelivery);
    if (open === 0) break;
    const period = lastDelivery + 1 + tailPeriods;
    await advanceDevChain(provider, (period + 1) * periodSeconds - Number(terms.gateClosureSeconds) - 60);
    const fromBlock = (await provider.getBlockNumber()) + 1;
    await world.centre.step();
    for (const g of world.generators) {
      const poll = await g.agent.poll();
      for (const s of poll.settled) progress.usdPaid += Number(s.settlement.usdToGenerator) / 1e8;
    }
    const gas = await gasMeter.since(fromBlock);
    tailGas = { total: tailGas.total + gas.total, byFunction: addGas(tailGas.byFunction, gas.byFunction) };
  }

  // The chain's account of the day.
  const account = await accountOfDay(world, p0, lastDelivery, first, balancesBefore);
  const dayGas = records.reduce((sum, r) => sum + (r.gas ?? 0), 0);
  return {
    ...account,
    perGenerator: account.perGenerator.map((g, i) => ({ ...g, fills: fillsOf[i], rejected: rejectedOf[i] })),
    gasTotal: dayGas + tailGas.total,
    gasSetup,
    gasByFunction: addGas(
      records.reduce((acc, r) => addGas(acc, r.gasByFunction), {} as Record<string, number>),
      tailGas.byFunction,
    ),
    tailPeriods,
    where: {
      deployBlock: world.deployBlock,
      addresses: Object.fromEntries(Object.entries(contracts).map(([name, c]) => [name, String(c.target)])),
      centre: world.accounts.centre.address,
      firstPeriod: p0,
      centreUsdIssued: centreUsd,
    },
  };
}

/** The day's books (delivery periods p0 … last) still open on chain. */
async function openDayPositions(world: World, p0: number, last: number): Promise<number> {
  const events = await readMarketEvents(world.contracts.market, world.deployBlock);
  const closed = new Set([...events.settlements, ...events.unwinds].map((e) => bookKeyId(e)));
  const books = new Set(
    events.fills.filter(({ fill }) => fill.period >= p0 && fill.period <= last).map(({ fill }) => bookKeyId(fill)),
  );
  return [...books].filter((k) => !closed.has(k)).length;
}

interface Balances {
  /** USD·1e-8 and Wh: wallets plus free vault balances. */
  readonly centreUsd: bigint;
  readonly centreWh: bigint;
  readonly generatorsUsd: bigint;
  readonly generatorsWh: bigint;
}

async function balances(world: World): Promise<Balances> {
  const { usd, kwh, market } = world.contracts;
  const of = async (address: string): Promise<[bigint, bigint]> => {
    const [vaultUsd, vaultWh] = await market.balancesOf(address);
    return [(await usd.balanceOf(address)) + vaultUsd, (await kwh.balanceOf(address)) + vaultWh];
  };
  const [centreUsd, centreWh] = await of(world.accounts.centre.address);
  let generatorsUsd = 0n;
  let generatorsWh = 0n;
  for (const g of world.generators) {
    const [u, w] = await of(g.wallet.address);
    generatorsUsd += u;
    generatorsWh += w;
  }
  return { centreUsd, centreWh, generatorsUsd, generatorsWh };
}

/** The day's fills, settlements and unwinds as the chain has them, and the balance changes they explain. */
async function accountOfDay(
  world: World,
  p0: number,
  last: number,
  first: number,
  before: Balances,
): Promise<Omit<ChainOutcome, "gasTotal" | "gasSetup" | "gasByFunction" | "tailPeriods" | "where">> {
  const events = await readMarketEvents(world.contracts.market, world.deployBlock);
  const fills = events.fills.filter(({ fill }) => fill.period >= p0 && fill.period <= last);
  const settledBy = new Map(events.settlements.map((s) => [bookKeyId(s), s.settlement]));
  const unwound = new Set(events.unwinds.map((u) => bookKeyId(u)));
  // A generator's fills of one period make one book, settled (or unwound) as a whole.
  const books = new Map<string, { generator: string; period: number; committedWh: bigint; usd: bigint }>();
  for (const { fill } of fills) {
    const key = bookKeyId(fill);
    const book = books.get(key) ?? { generator: fill.generator, period: fill.period, committedWh: 0n, usd: 0n };
    book.committedWh += fill.amountWh;
    book.usd += fill.usd;
    books.set(key, book);
  }
  let usdPaidUnits = 0n;
  let toCentreWh = 0n;
  let penaltyWh = 0n;
  let deliveredWh = 0n;
  let committedWh = 0n;
  let openEscrowUsd = 0n;
  let openEscrowWh = 0n;
  let openPositions = 0;
  const perGenerator = world.generators.map((g) => ({
    address: g.wallet.address,
    fills: 0,
    rejected: 0,
    usdPaid: 0,
    kwhSold: 0,
    kwhPenalty: 0,
  }));
  const perPeriod = new Map<number, { usd: number; kwh: number; settled: number; open: number }>();
  for (const [key, book] of books) {
    const k = first + book.period - p0;
    const row = perPeriod.get(k) ?? { usd: 0, kwh: 0, settled: 0, open: 0 };
    perPeriod.set(k, row);
    const s = settledBy.get(key);
    const g = perGenerator.find((x) => x.address.toLowerCase() === book.generator.toLowerCase());
    if (s) {
      usdPaidUnits += s.usdToGenerator;
      toCentreWh += s.paidWh + s.penaltyWh;
      penaltyWh += s.penaltyWh;
      deliveredWh += s.deliveredWh;
      committedWh += book.committedWh;
      row.usd += Number(s.usdToGenerator) / 1e8;
      row.kwh += Number(s.paidWh + s.penaltyWh) / 1000;
      row.settled++;
      if (g) {
        g.usdPaid += Number(s.usdToGenerator) / 1e8;
        g.kwhSold += Number(s.paidWh) / 1000;
        g.kwhPenalty += Number(s.penaltyWh) / 1000;
      }
    } else if (!unwound.has(key)) {
      openEscrowUsd += book.usd;
      openEscrowWh += book.committedWh;
      row.open++;
      openPositions++;
    }
  }
  const after = await balances(world);
  const generatorsGained = after.generatorsUsd - before.generatorsUsd;
  const centreSpent = before.centreUsd - after.centreUsd;
  const centreGainedWh = after.centreWh - before.centreWh;
  const generatorsSpentWh = before.generatorsWh - after.generatorsWh;
  const conservation: Conservation = {
    ok:
      generatorsGained === usdPaidUnits &&
      centreSpent === usdPaidUnits + openEscrowUsd &&
      centreGainedWh === toCentreWh &&
      generatorsSpentWh === toCentreWh + openEscrowWh,
    usd: {
      paid: usdPaidUnits.toString(),
      generatorsGained: generatorsGained.toString(),
      centreSpent: centreSpent.toString(),
      openEscrow: openEscrowUsd.toString(),
    },
    kwh: {
      toCentre: toCentreWh.toString(),
      centreGained: centreGainedWh.toString(),
      generatorsSpent: generatorsSpentWh.toString(),
      openEscrow: openEscrowWh.toString(),
    },
  };
  return {
    perGenerator,
    trades: fills.length,
    openPositions,
    perPeriod,
    usdPaidUnits,
    kwhToCentreWh: toCentreWh,
    kwhPenaltyWh: penaltyWh,
    deliveredWh,
    committedWh,
    conservation,
  };
}

/** Gas of the world's transactions in blocks since a given one, by contract function. */
class GasMeter {
  private readonly senders: Set<string>;
  private readonly interfaces = new Map<string, Interface>();

  constructor(
    private readonly provider: Provider,
    world: World,
    funder?: string,
  ) {
    const a = world.accounts;
    this.senders = new Set(
      [
        a.admin,
        a.centre,
        a.registrar,
        a.issuer,
        a.treasury,
        ...a.oracleSigners,
        ...world.generators.map((g) => g.wallet),
      ]
        .map((w) => w.address.toLowerCase())
        .concat(funder ? [funder.toLowerCase()] : []),
    );
    for (const c of Object.values(world.contracts)) {
      this.interfaces.set(String(c.target).toLowerCase(), c.interface as unknown as Interface);
    }
  }

  async since(fromBlock: number): Promise<{ total: number; byFunction: Record<string, number> }> {
    const latest = await this.provider.getBlockNumber();
    let total = 0;
    const byFunction: Record<string, number> = {};
    for (let n = fromBlock; n <= latest; n++) {
      const block = await this.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (!this.senders.has(tx.from.toLowerCase())) continue;
        const receipt = await this.provider.getTransactionReceipt(tx.hash);
        const gas = Number(receipt?.gasUsed ?? 0n);
        total += gas;
        const name = this.functionName(tx.to, tx.data);
        byFunction[name] = (byFunction[name] ?? 0) + gas;
      }
    }
    return { total, byFunction };
  }

  private functionName(to: string | null, data: string): string {
    if (to === null) return "deploy";
    if (data === "0x") return "gas funding";
    const iface = this.interfaces.get(to.toLowerCase());
    return iface?.parseTransaction({ data })?.name ?? "other";
  }
}

const addGas = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

const mod = (a: number, n: number): number => ((a % n) + n) % n;

// ---------------------------------------------------------------------------------------------
// Records.

interface LineSet {
  /** 0-based branch rows of the limited lines shown, and for people their names and limits. */
  readonly rows: readonly number[];
  readonly names: readonly { branchRow: number; from: number; to: number; limitMW: number }[];
}

/** The lines with an active limit (at most 40: the first in row order when there are more). */
function limitedLineSet(c: PowerCase): LineSet {
  const limits = c.operation?.branchActiveLimitMW ?? [];
  const rows = limits.flatMap((x, l) => (x > 0 && c.branch[l][BRANCH.BR_STATUS] !== 0 ? [l] : [])).slice(0, 40);
  return {
    rows,
    names: rows.map((l) => ({
      branchRow: l + 1,
      from: c.branch[l][BRANCH.F_BUS],
      to: c.branch[l][BRANCH.T_BUS],
      limitMW: limits[l],
    })),
  };
}

/** |mean active flow| / limit of each line of the set. */
function loadings(flow: PowerFlowResult, set: LineSet): number[] {
  return set.rows.map((l, i) => {
    const b = flow.branches[l];
    return Math.abs((b.pf - b.pt) / 2) / set.names[i].limitMW;
  });
}

function linesOverLimit(report: LimitReport): LineOverLimit[] {
  return report.lines.map((v) => ({ branchRow: v.branchRow, from: v.from, to: v.to, value: v.value, limit: v.limit }));
}

const overLimit = (r: PeriodRecord, lines: readonly LineOverLimit[]): PeriodOverLimit => ({
  index: r.index,
  date: r.date,
  localTime: r.localTime,
  lines: lineNames(lines),
});

/** Lines by name ("11-14"), each once, in branch-row order. */
export function lineNames(lines: readonly LineOverLimit[]): string[] {
  const rows = new Map<number, string>();
  for (const l of lines) rows.set(l.branchRow, `${l.from}-${l.to}`);
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}

function limitCounts(report: LimitReport, flow: PowerFlowResult, set: LineSet): LimitCounts {
  const loading = loadings(flow, set);
  return {
    lines: new Set(report.lines.map((v) => v.branch)).size,
    voltages: report.voltages.length,
    frequency: report.frequency?.violated ?? false,
    maxLoading: loading.length > 0 ? Math.max(...loading) : 0,
  };
}

/** The part of a unit's committed move that it delivered, MW (in the commitment's direction, ≥ 0). */
function deliveredInDirection(d: { scheduledMW: number; committedMW: number; actualMW: number }): number {
  if (d.committedMW === 0) return 0;
  return Math.max(0, Math.sign(d.committedMW) * (d.actualMW - d.scheduledMW));
}

interface RecordExtras {
  readonly chainPeriod: number | null;
  readonly chainStart: number | null;
  readonly fills: readonly { kwh: number; usd: number }[];
  readonly posted: readonly { usd: number }[] | null;
  readonly delivery: PeriodRecord["delivery"];
  readonly actualFlow: PowerFlowResult;
  readonly actualLimits: LimitReport;
  readonly gas: number | null;
  readonly gasByFunction: Record<string, number>;
  readonly wallMs: number;
  readonly problems: readonly string[];
}

function periodRecord(
  p: PeriodScenario,
  study: PeriodResult,
  c: PowerCase,
  unitNodes: readonly number[],
  lineSet: LineSet,
  x: RecordExtras,
): PeriodRecord {
  const rd = study.redispatch;
  const hours = study.period.minutes / 60;
  // The LP balances every adjustment with the master unit (Δm = −Σδ), paid at its energy price.
  const masterPrice = c.operation?.masterEnergyPrice ?? 0;
  const nodes = c.bus.length <= 200 ? study.prices.map((q) => q.bus) : unitNodes;
  const priceOf = new Map(study.prices.map((q) => [q.bus, q.total]));
  const totals = study.prices.map((q) => q.total);
  const vm = x.actualFlow.buses.map((b) => b.vm).filter((v) => v > 0);
  const committedKwh = x.delivery.reduce((s, d) => s + Math.abs(d.committedMW) * hours * 1000, 0);
  const deliveredKwh = x.delivery.reduce((s, d) => s + deliveredInDirection(d) * hours * 1000, 0);
  return {
    index: p.index,
    date: p.date,
    localTime: p.localTime,
    utcStart: p.utcStart,
    periodMinutes: study.period.minutes,
    chainPeriod: x.chainPeriod,
    chainStart: x.chainStart,
    demandMW: p.demandMW,
    pvMW: p.pvMW,
    pvAvailability: p.pvAvailability,
    cloudCover: p.cloudCover,
    netLoadMW: p.netLoadMW,
    lossesMW: study.loadFlow.losses.p,
    before: limitCounts(study.violations, study.loadFlow, lineSet),
    violatedLines: linesOverLimit(study.violations),
    redispatch: {
      status: rd.status,
      rounds: rd.rounds,
      costUsd:
        hours * rd.adjustments.reduce((sum, a) => sum + a.bidPrice * Math.abs(a.deltaMW) - masterPrice * a.deltaMW, 0),
      adjustments: rd.adjustments.map((a) => ({
        genRow: a.unit.genRow,
        node: a.unit.busId,
        kind: a.unit.kind,
        scheduledMW: a.scheduledMW,
        adjustedMW: a.adjustedMW,
        deltaMW: a.deltaMW,
      })),
      unmet: rd.unmet.map((u) => ({ description: u.description, excessMW: u.excessMW })),
    },
    after: limitCounts(rd.violations, rd.loadFlow, lineSet),
    violatedLinesAfter: linesOverLimit(rd.violations),
    prices: {
      energyUsdPerMWh: rd.energyPrice,
      minUsdPerMWh: Math.min(...totals),
      maxUsdPerMWh: Math.max(...totals),
      byNode: Object.fromEntries(nodes.filter((n) => priceOf.has(n)).map((n) => [String(n), priceOf.get(n) as number])),
    },
    offers: study.offers.map((o) => ({
      genRow: o.genRow,
      node: o.node,
      direction: o.direction,
      kwh: o.kwh,
      usd: o.usd,
      usdPerMWh: o.priceUsdPerMWh,
    })),
    offersUsd: study.offers.reduce((s, o) => s + o.usd, 0),
    offersKwh: study.offers.reduce((s, o) => s + o.kwh, 0),
    posted: x.posted?.length ?? null,
    postedUsd: x.posted ? x.posted.reduce((s, o) => s + o.usd, 0) : null,
    fills: x.fills.length,
    filledKwh: x.fills.reduce((s, f) => s + f.kwh, 0),
    filledUsd: x.fills.reduce((s, f) => s + f.usd, 0),
    delivery: x.delivery,
    committedKwh,
    deliveredKwh,
    actual: {
      ...limitCounts(x.actualLimits, x.actualFlow, lineSet),
      vmMin: Math.min(...vm),
      vmMax: Math.max(...vm),
      vmMean: vm.reduce((s, v) => s + v, 0) / vm.length,
    },
    violatedLinesActual: linesOverLimit(x.actualLimits),
    usdPaid: null,
    kwhMoved: null,
    positionsSettled: null,
    positionsOpen: null,
    gas: x.gas,
    gasByFunction: x.gasByFunction,
    wallMs: x.wallMs,
    problems: x.problems,
  };
}

function summarise(
  config: DayConfig,
  scenario: DayScenario,
  records: readonly PeriodRecord[],
  generators: readonly GeneratorRecord[],
  chain: ChainOutcome | null,
  tail: number,
  wallSeconds: number,
): DaySummary {
  const hours = scenario.periodMinutes / 60;
  const congested = records.filter((r) => r.before.lines > 0);
  const overAsDelivered = records.filter((r) => r.actual.lines > 0);
  const trades = chain?.trades ?? null;
  return {
    case: config.case.name,
    profile: basename(config.profile.source),
    date: records[0]?.date ?? "",
    dayTypes: [
      ...new Set(scenario.periods.slice(scenario.first, scenario.first + records.length).map((p) => p.dayType)),
    ],
    seed: config.seed,
    chain: chain !== null,
    periods: records.length,
    periodMinutes: scenario.periodMinutes,
    congestedPeriods: congested.length,
    congested: congested.map((r) => overLimit(r, r.violatedLines)),
    congestedLines: lineNames(congested.flatMap((r) => r.violatedLines)),
    clearedByPlanPeriods: congested.filter((r) => r.after.lines === 0).length,
    overLimitAsDeliveredPeriods: overAsDelivered.length,
    overLimitAsDelivered: overAsDelivered.map((r) => overLimit(r, r.violatedLinesActual)),
    clearedAsDeliveredPeriods: congested.filter((r) => r.actual.lines === 0).length,
    unmetLimits: records.reduce((n, r) => n + r.redispatch.unmet.length, 0),
    voltagePeriods: records.filter((r) => r.before.voltages > 0).length,
    redispatchCostUsd: records.reduce((s, r) => s + r.redispatch.costUsd, 0),
    offeredUsd: records.reduce((s, r) => s + (r.postedUsd ?? r.offersUsd), 0),
    usdPaid: chain ? Number(chain.usdPaidUnits) / 1e8 : null,
    kwhMoved: chain ? Number(chain.kwhToCentreWh) / 1000 : null,
    kwhPenalty: chain ? Number(chain.kwhPenaltyWh) / 1000 : null,
    deliveryRatio: chain
      ? chain.committedWh > 0n
        ? Number(chain.deliveredWh) / Number(chain.committedWh)
        : null
      : null,
    offers: records.reduce((n, r) => n + (r.posted ?? r.offers.length), 0),
    kwhFilled: records.reduce((sum, r) => sum + r.filledKwh, 0),
    shortfalls: generators
      .filter((g) => g.deliveredKwh < g.committedKwh - 1e-6)
      .map((g) => ({
        node: g.node,
        behaviour: g.behaviour,
        committedKwh: g.committedKwh,
        deliveredKwh: g.deliveredKwh,
      })),
    trades,
    openPositions: chain?.openPositions ?? null,
    gasTotal: chain?.gasTotal ?? null,
    gasPerTrade: chain && trades ? chain.gasTotal / trades : null,
    gasSetup: chain?.gasSetup ?? null,
    gasByFunction: chain?.gasByFunction ?? null,
    tailPeriods: chain?.tailPeriods ?? tail,
    demandMWh: records.reduce((s, r) => s + r.demandMW * hours, 0),
    pvMWh: records.reduce((s, r) => s + r.pvMW * hours, 0),
    wallSeconds,
    conservation: chain?.conservation ?? null,
    notes: [
      ...scenario.notes,
      ...(chain
        ? [
            `chain: the first period (${records[0]?.localTime ?? "?"}) delivered in chain period ${chain.where.firstPeriod}, ` +
              `each next one in the next chain period; ${chain.tailPeriods} more period(s) after the last only reported ` +
              "and settled (no offers)",
          ]
        : ["grid side only: every offer taken as filled and delivered in full"]),
      ...penaltyPriced(records),
    ],
  };
}

/**
 * A note for periods whose redispatch could not meet a limit: their unmet lines are priced at the
 * market's limit-violation price (docs/period.md), so offers there carry a congestion component up
 * to that penalty — worth knowing when reading the day's prices.
 */
function penaltyPriced(records: readonly PeriodRecord[]): string[] {
  const hit = records.filter((r) => r.redispatch.status === "infeasible" && r.offers.length > 0);
  if (hit.length === 0) return [];
  return [
    `note: in ${hit.length} period(s) (${hit.map((r) => r.localTime).join(", ")}) a limit could not be met; ` +
      "the unmet lines are priced at the limit-violation price (operation.limitViolationPrice, default " +
      `${DEFAULT_LIMIT_VIOLATION_PRICE} USD/MWh), which enters those periods' nodal prices and offers`,
  ];
}
