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
import type { Provider, Signer } from "ethers";
import { BUS, GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { PeriodSeries } from "../market/period";
import type { CivilDate, LoadProfile } from "../market/profiles";
import { SeededRandom } from "../market/random";
import { buildDayScenario, ScenarioError, type DayScenario } from "../market/scenario";
import { chainNow, type RawRpc } from "../chain/clock";
import { accountOfDay, balances, openDayPositions, type ChainOutcome } from "./day-accounting";
import { addGas, GasMeter } from "./day-gas";
import { bidPlan, generatorPlan, type DayBidPlan, type GeneratorPlan, type MarketUnitRef } from "./day-generators";
import {
  deliveredInDirection,
  deliveredRecord,
  limitedLineSet,
  loadings,
  studiedRecord,
  type LineSet,
  type PeriodRecord,
} from "./day-record";
import { PeriodRecorder } from "./period-recorder";
import { summarise, type DaySummary } from "./day-summary";
import type { GeneratorSpec, World } from "./world";
import type { Behaviour } from "./pipeline";

export type { PeriodRecord } from "./day-record";
export type { DaySummary } from "./day-summary";

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
   * Sealed bidding (docs/bids.md; needs a chain): a bid book beside the market, and every
   * generator bids from a policy drawn from the seed (day-generators.ts, bidPlan) — the centre's
   * study prices the units with the revealed bids and pays the selected steps.
   */
  readonly bids?: boolean;
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

export interface GeneratorRecord {
  readonly address: string | null;
  readonly node: number;
  readonly genRow: number;
  readonly behaviour: "full" | "partial" | "none";
  readonly costUsdPerKwh: number;
  readonly marginUsdPerKwh: number;
  readonly capacityKwh: number;
  /** How it bids (a day with sealed bids; null: it does not bid). */
  readonly bid: DayBidPlan | null;
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
  if (config.bids && !config.chain) {
    throw new ScenarioError("sealed bids need a chain: the bid book is a contract (omit bids on the grid side only)");
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
  const bidPlans = units.map((u, i) => (config.bids ? bidPlan(u, random, i) : undefined));
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
    // One network through the day: each period's load flows start from the last one's solution.
    const series = new PeriodSeries(market);
    for (let k = first; k < first + config.periods; k++) {
      const t = performance.now();
      const p = scenario.at(k);
      const study = await series.study({ ...p.forecasts, periodStart: p.utcStart });
      // The grid side alone: every offer filled and delivered in full, so the period runs as redispatched.
      const delivered = study.redispatch.loadFlow;
      const studied = studiedRecord(p, study, market, unitNodes, lineSet, {
        chainPeriod: null,
        chainStart: null,
        fills: study.offers.map((o) => ({ kwh: o.kwh, usd: o.usd })),
        posted: null,
        auction: null,
        problems: [],
      });
      const record = deliveredRecord(studied, lineSet, {
        delivery: study.redispatch.adjustments.map((a) => ({
          address: null,
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
      bidPlans,
      lineSet,
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
      bid: bidPlans[i] ?? null,
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
// The chain.

async function runOnChain(
  config: DayConfig,
  chain: ChainSpec,
  first: number,
  scenario: DayScenario,
  caseText: string,
  units: readonly MarketUnitRef[],
  plans: readonly GeneratorPlan[],
  bidPlans: readonly (DayBidPlan | undefined)[],
  lineSet: LineSet,
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
    bid: bidPlans[i]?.policy,
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
    ...(config.bids && { bids: {} }),
    log: (line) => log(`centre: ${line}`),
    generatorLog: (address, line) => log(`gen@${nodeOf.get(address) ?? address.slice(0, 10)}: ${line}`),
  });
  world.generators.forEach((g) => nodeOf.set(g.wallet.address, g.node));
  const { contracts } = world;
  // The pipeline's record writer: each delivery period studied, filled and delivered.
  const recorder = new PeriodRecorder({
    case: market,
    periodSeconds,
    conditions: (deliveryPeriod) => scenario.at(dayIndex(deliveryPeriod)),
    bidBook: world.bidBook?.book,
    fills: { market: world.contracts.market, fromBlock: world.deployBlock },
  });
  const pipeline = world.pipeline.with({ sinks: [recorder] });
  const gasMeter = new GasMeter(provider, world);
  const gasSetup = (await new GasMeter(provider, world, await funder.getAddress()).since(setupFrom)).total;
  await chain.onDeployed?.(world);

  // The first delivery period: the date's own when it still lies ahead, else the next period at
  // the same time of day. The centre studies it from the period before (the lead-in), and with
  // sealed bids its bid gate must still be ahead when the lead-in starts: one period more.
  const nowPeriod = Math.floor((await chainNow(provider)) / periodSeconds);
  const dayStart = Math.round(scenario.at(first).utcStart / periodSeconds);
  const perDay = Math.round(86400 / periodSeconds);
  const earliest = nowPeriod + (world.bidBook ? 3 : 2);
  p0 = dayStart >= earliest ? dayStart : earliest + mod(dayStart - earliest, perDay);
  const leadIn = await pipeline.startPeriod(p0 - 1);
  if (leadIn !== p0 - 1) throw new Error(`the chain moved past period ${p0 - 1} while the world was built`);
  await pipeline.recordSchedule(leadIn);
  const balancesBefore = await balances(world);

  const fillsOf = world.generators.map(() => 0);
  const rejectedOf = world.generators.map(() => 0);
  for (let n = 0; n < config.periods; n++) {
    const t = performance.now();
    const fromBlock = (await provider.getBlockNumber()) + 1;
    const step = await pipeline.run();
    const gas = await gasMeter.since(fromBlock);
    const study = step.centre.study;
    if (!study) throw new Error(`period ${step.period}: the centre made no study of period ${step.deliveryPeriod}`);
    if (step.deliveryPeriod !== p0 + n)
      throw new Error(`expected delivery period ${p0 + n}, ran ${step.deliveryPeriod}`);
    step.generators.forEach((g, i) => {
      fillsOf[i] += g.poll.filled.length;
      rejectedOf[i] += g.poll.rejected.length;
      for (const s of g.poll.settled) progress.usdPaid += Number(s.settlement.usdToGenerator) / 1e8;
    });
    const record = recorder.amend(step.deliveryPeriod, {
      gas: gas.total,
      gasByFunction: gas.byFunction,
      wallMs: performance.now() - t,
    });
    finish(record, loadings(study.loadFlow, lineSet), loadings(step.actual.loadFlow, lineSet));
  }

  // The tail: report and settle what the day traded, posting nothing new.
  const lastDelivery = p0 + config.periods - 1;
  let tailPeriods = 0;
  let tailGas = { total: 0, byFunction: {} as Record<string, number> };
  for (; tailPeriods < MAX_TAIL_PERIODS; tailPeriods++) {
    const open = await openDayPositions(world, p0, lastDelivery);
    if (open === 0) break;
    const fromBlock = (await provider.getBlockNumber()) + 1;
    const closed = await pipeline.close(lastDelivery + 1 + tailPeriods);
    for (const { poll } of closed.generators) {
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
      addresses: {
        ...Object.fromEntries(Object.entries(contracts).map(([name, c]) => [name, String(c.target)])),
        ...(world.bidBook && { bids: String(world.bidBook.book.target) }),
      },
      centre: world.accounts.centre.address,
      firstPeriod: p0,
      centreUsdIssued: centreUsd,
    },
  };
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;
