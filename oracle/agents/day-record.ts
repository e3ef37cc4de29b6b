/**
 * The per-period record, defined once: what the day simulation writes (periods.json,
 * periods.csv, the plots and report.html), what the dashboard's demo publishes and what the
 * dashboard reads, and how it is built from the centre's study, the fills and the delivery period
 * as it ran. Every field's type, unit and meaning, and its CSV column, are in one table:
 * day-schema.ts. A record is written in two stages (`stage`): once the period is studied and its
 * offers filled, then once it has been delivered; period-recorder.ts is the pipeline's sink that
 * writes both.
 */
import { BRANCH } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import type { LimitReport, LineViolation } from "../grid/limits/checks";
import type { PowerFlowResult } from "../grid/pf/results";
import type { BidDirection, SelectedBidStep } from "../market/bids";
import type { PeriodResult } from "../market/period";
import { adjustmentSummary, type AdjustmentSummary } from "../market/redispatch";
import type { PeriodScenario } from "../market/scenario";
import { DETAIL_MAX_BUSES, gridStateRecord, studyDetail, type GridDetail } from "./record-detail";

export interface LimitCounts {
  /** Lines over their active limit or MVA rating, buses outside their voltage band, frequency outside its band. */
  readonly lines: number;
  readonly voltages: number;
  readonly frequency: boolean;
  /** Largest |mean flow| / active limit over the limited lines (1 = at the limit). */
  readonly maxLoading: number;
}

/**
 * A line over its limit, for people: the grid core's violation without its internal index — the
 * 1-based branch row, its ends, which limit ("active": the mean flow against the active limit,
 * MW, signed from → to; "apparent": MVA against RATE_A), the value, the limit and by how much.
 */
export type LineOverLimit = Omit<LineViolation, "branch">;

/** A period whose grid as delivered had a line over its limit, with the lines named ("24-27"). */
export interface PeriodOverLimit {
  readonly index: number;
  readonly date: string;
  readonly localTime: string;
  readonly lines: readonly string[];
}

/** A unit's adjustment (the market's summary of it, MW). */
export type UnitAdjustment = AdjustmentSummary;

/**
 * When and under which conditions the period ran: the day scenario's period, or (the dashboard's
 * demo) the case's own schedule, which has no weather (PV availability and cloud cover null).
 */
export type PeriodConditions = Pick<
  PeriodScenario,
  "index" | "date" | "localTime" | "utcStart" | "demandMW" | "pvMW" | "netLoadMW"
> & { readonly pvAvailability: number | null; readonly cloudCover: number | null };

/** A period once studied and its offers posted and filled: the record's first stage. */
export interface StudiedPeriodRecord {
  /** "studied" until the period has been delivered, then "delivered" (a PeriodRecord). */
  readonly stage: "studied" | "delivered";
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
  readonly pvAvailability: number | null;
  readonly cloudCover: number | null;
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
  /** The sealed-bid auction of the period (docs/bids.md); every figure null without a bid book. */
  readonly bids: BidsRecord;
  /** Offers the centre signed and posted on chain, and their USD (null on the grid side only). */
  readonly posted: number | null;
  readonly postedUsd: number | null;
  /**
   * Fills of this period's offers: count, kWh, USD. Once studied, those the pipeline's agents made
   * by then; once delivered, every fill on chain (whoever made it, the gate being closed). The grid
   * side only: every offer, in full.
   */
  readonly fills: number;
  readonly filledKwh: number;
  readonly filledUsd: number;
  readonly problems: readonly string[];
  /** Load flows, every line's sensitivities, prices by component (cases up to 200 buses; else null). */
  readonly detail: GridDetail | null;
}

/** A period delivered: the study, and the period as it ran and was settled. */
export interface PeriodRecord extends StudiedPeriodRecord {
  readonly stage: "delivered";
  /** Per market unit: its wallet (null on the grid side only), scheduled (baseline) and actual output, the committed move (MW). */
  readonly delivery: readonly {
    address: string | null;
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
   * centre, positions settled and still open at the end (null on the grid side only, and until
   * the day's account is read).
   */
  readonly usdPaid: number | null;
  readonly kwhMoved: number | null;
  readonly positionsSettled: number | null;
  readonly positionsOpen: number | null;
  /** Gas of every transaction of the period's market step (report, settlements, offers, fills; null: not measured). */
  readonly gas: number | null;
  readonly gasByFunction: Readonly<Record<string, number>>;
  /** Wall time of the period's step (study, chain, agents, delivery), ms (null: not measured). */
  readonly wallMs: number | null;
}

/** A record in either stage, as the dashboard reads them. */
export type AnyPeriodRecord = StudiedPeriodRecord | PeriodRecord;

export const isDelivered = (r: AnyPeriodRecord): r is PeriodRecord => r.stage === "delivered";

/** The period a record is published under: the chain period that delivered it, else its day period. */
export const recordPeriod = (r: StudiedPeriodRecord): number => r.chainPeriod ?? r.index;

/** A step of the published selection: whose, how much, and its bid, nodal value and price paid (USD/MWh). */
export interface SelectedStepRecord {
  readonly generator: string;
  readonly node: number;
  readonly direction: BidDirection;
  readonly step: number;
  readonly kwh: number;
  readonly bidUsdPerMWh: number;
  readonly nodalUsdPerMWh: number;
  readonly paidUsdPerMWh: number;
}

export interface BidsRecord {
  /** Commitments for the period at its bid gate (the sealed count), and the bids revealed in its window. */
  readonly sealed: number | null;
  readonly revealed: number | null;
  /** Market units priced by bids, and those nobody bid for (on the operation data's terms). */
  readonly bidUnits: number | null;
  readonly fallbackUnits: number | null;
  /** The selection's pricing rule (pay-as-bid or nodal), its steps, kWh and what it pays under the rule. */
  readonly pricingRule: string | null;
  readonly steps: number | null;
  readonly selectedKwh: number | null;
  readonly selectedUsd: number | null;
  /** What the same steps would pay under each rule: at their bids, and at max(nodal value, bid). */
  readonly payAsBidUsd: number | null;
  readonly nodalUsd: number | null;
  /** Fills of the offers reserved for the selected generators (kWh, USD as the chain paid). */
  readonly reservedFilledKwh: number | null;
  readonly reservedFilledUsd: number | null;
  /** Selected bidders that did not fill their reserved offer (they are named; the count is in the CSV). */
  readonly unfilledCount: number | null;
  readonly unfilled: readonly string[];
  readonly selection: readonly SelectedStepRecord[];
}

/** What the chain says of a period's auction (the day simulation reads it per period). */
export interface AuctionExtras {
  readonly sealed: number;
  readonly reservedFills: readonly { generator: string; kwh: number; usd: number }[];
}

/** The period's auction from its study (with bids) and the chain; all null without a bid book. */
export function bidsRecord(study: PeriodResult, auction: AuctionExtras | null): BidsRecord {
  const bids = auction ? study.bids : undefined;
  if (!auction || !bids) {
    return {
      sealed: auction?.sealed ?? null,
      revealed: null,
      bidUnits: null,
      fallbackUnits: null,
      pricingRule: null,
      steps: null,
      selectedKwh: null,
      selectedUsd: null,
      payAsBidUsd: null,
      nodalUsd: null,
      reservedFilledKwh: null,
      reservedFilledUsd: null,
      unfilledCount: null,
      unfilled: [],
      selection: [],
    };
  }
  const steps = bids.selection.steps;
  // USD of the selected Wh at a price per MWh.
  const usd = (price: (s: (typeof steps)[number]) => number): number =>
    steps.reduce((sum, s) => sum + (s.quantityWh / 1e6) * price(s), 0);
  // Every revealed bid covering the period is in a unit's curve or set aside (with the reason).
  const revealed = new Set([
    ...bids.units.flatMap((u) => [...u.up, ...u.down].map((s) => s.generator)),
    ...bids.setAside.map((a) => a.generator),
  ]);
  const filled = new Set(auction.reservedFills.map((f) => f.generator.toLowerCase()));
  const unfilled = [...new Set(steps.map((s) => s.generator.toLowerCase()))].filter((g) => !filled.has(g));
  return {
    sealed: auction.sealed,
    revealed: revealed.size,
    bidUnits: bids.units.length,
    fallbackUnits: bids.fallback.length,
    pricingRule: bids.selection.pricingRule,
    steps: steps.length,
    selectedKwh: steps.reduce((sum, s) => sum + s.quantityWh, 0) / 1000,
    selectedUsd: usd((s) => s.priceUsdPerMWh),
    payAsBidUsd: usd((s) => s.bidUsdPerMWh),
    nodalUsd: usd((s) => Math.max(s.nodalUsdPerMWh, s.bidUsdPerMWh)),
    reservedFilledKwh: auction.reservedFills.reduce((sum, f) => sum + f.kwh, 0),
    reservedFilledUsd: auction.reservedFills.reduce((sum, f) => sum + f.usd, 0),
    unfilledCount: unfilled.length,
    unfilled,
    selection: steps.map(selectedStepRecord),
  };
}

/** A selected step for people (kWh; the day's record and the bids demo). */
export const selectedStepRecord = (s: SelectedBidStep): SelectedStepRecord => ({
  generator: s.generator,
  node: s.node,
  direction: s.direction,
  step: s.step,
  kwh: s.quantityWh / 1000,
  bidUsdPerMWh: s.bidUsdPerMWh,
  nodalUsdPerMWh: s.nodalUsdPerMWh,
  paidUsdPerMWh: s.priceUsdPerMWh,
});

export interface LineSet {
  /** 0-based branch rows of the limited lines shown, and for people their names and limits. */
  readonly rows: readonly number[];
  readonly names: readonly { branchRow: number; from: number; to: number; limitMW: number }[];
}

/** The lines with an active limit (at most 40: the first in row order when there are more). */
export function limitedLineSet(c: PowerCase): LineSet {
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
export function loadings(flow: PowerFlowResult, set: LineSet): number[] {
  return set.rows.map((l, i) => {
    const b = flow.branches[l];
    return Math.abs((b.pf - b.pt) / 2) / set.names[i].limitMW;
  });
}

function linesOverLimit(report: LimitReport): LineOverLimit[] {
  return report.lines.map(({ branch: _branch, ...line }) => line);
}

export const overLimit = (r: StudiedPeriodRecord, lines: readonly LineOverLimit[]): PeriodOverLimit => ({
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

export function limitCounts(report: LimitReport, flow: PowerFlowResult, set: LineSet): LimitCounts {
  const loading = loadings(flow, set);
  return {
    lines: new Set(report.lines.map((v) => v.branch)).size,
    voltages: report.voltages.length,
    frequency: report.frequency?.violated ?? false,
    maxLoading: loading.length > 0 ? Math.max(...loading) : 0,
  };
}

/** The part of a unit's committed move that it delivered, MW (in the commitment's direction, ≥ 0). */
export function deliveredInDirection(d: { scheduledMW: number; committedMW: number; actualMW: number }): number {
  if (d.committedMW === 0) return 0;
  return Math.max(0, Math.sign(d.committedMW) * (d.actualMW - d.scheduledMW));
}

/** The record's fill figures: count, kWh, USD. */
export const fillFigures = (
  fills: readonly { kwh: number; usd: number }[],
): Pick<StudiedPeriodRecord, "fills" | "filledKwh" | "filledUsd"> => ({
  fills: fills.length,
  filledKwh: fills.reduce((s, f) => s + f.kwh, 0),
  filledUsd: fills.reduce((s, f) => s + f.usd, 0),
});

/** What the chain (or the grid side) adds to a study: the chain period, the offers posted and filled. */
export interface StudyExtras {
  readonly chainPeriod: number | null;
  readonly chainStart: number | null;
  readonly fills: readonly { kwh: number; usd: number }[];
  readonly posted: readonly { usd: number }[] | null;
  /** The period's auction on chain (null: no bid book, or the grid side only). */
  readonly auction: AuctionExtras | null;
  readonly problems: readonly string[];
}

/** The period as it ran: each unit's delivery, the load flow and its limits, what it cost. */
export interface DeliveryExtras {
  readonly delivery: PeriodRecord["delivery"];
  readonly actualFlow: PowerFlowResult;
  readonly actualLimits: LimitReport;
  readonly gas: number | null;
  readonly gasByFunction: Record<string, number>;
  readonly wallMs: number | null;
}

/** The record's first stage: the study of the period (`c`: the market case), its offers and fills. */
export function studiedRecord(
  p: PeriodConditions,
  study: PeriodResult,
  c: PowerCase,
  unitNodes: readonly number[],
  lineSet: LineSet,
  x: StudyExtras,
): StudiedPeriodRecord {
  const rd = study.redispatch;
  const hours = study.period.minutes / 60;
  // The LP balances every adjustment with the master unit (Δm = −Σδ), paid at its energy price.
  const masterPrice = c.operation?.masterEnergyPrice ?? 0;
  const small = c.bus.length <= DETAIL_MAX_BUSES;
  const nodes = small ? study.prices.map((q) => q.bus) : unitNodes;
  const priceOf = new Map(study.prices.map((q) => [q.bus, q.total]));
  const totals = study.prices.map((q) => q.total);
  return {
    stage: "studied",
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
      adjustments: rd.adjustments.map(adjustmentSummary),
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
    bids: bidsRecord(study, x.auction),
    posted: x.posted?.length ?? null,
    postedUsd: x.posted ? x.posted.reduce((s, o) => s + o.usd, 0) : null,
    ...fillFigures(x.fills),
    problems: x.problems,
    detail: small ? { study: studyDetail(c, study), actual: null } : null,
  };
}

/** The record's second stage: the studied record and the period as it ran. */
export function deliveredRecord(r: StudiedPeriodRecord, lineSet: LineSet, x: DeliveryExtras): PeriodRecord {
  const hours = r.periodMinutes / 60;
  const vm = x.actualFlow.buses.map((b) => b.vm).filter((v) => v > 0);
  return {
    ...r,
    stage: "delivered",
    detail: r.detail && { ...r.detail, actual: gridStateRecord(x.actualFlow, x.actualLimits) },
    delivery: x.delivery,
    committedKwh: x.delivery.reduce((s, d) => s + Math.abs(d.committedMW) * hours * 1000, 0),
    deliveredKwh: x.delivery.reduce((s, d) => s + deliveredInDirection(d) * hours * 1000, 0),
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
  };
}
