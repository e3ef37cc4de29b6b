/**
 * What the dashboard's server serves and its pages read: the deployment and chain status
 * (/api/config), the case's topology (/api/case) and the centre's published per-period results
 * (/api/periods, read from the results directory's periods.json: the one period record). Plain
 * JSON shapes, no code, so the Node server and the browser bundle share them.
 *
 * Units: MW, MVAr, p.u. (voltage), degrees (angle), USD/MWh (prices), Unix seconds (times),
 * kWh and USD as decimals where published by the centre; on-chain amounts stay in their own units
 * (Wh, 1e-8 USD) and are converted in dashboard/src/format.ts.
 */

/** /api/config */
export interface DashboardConfig {
  /** Where the deployment is: the network's name, chain id, addresses, first block with logs. */
  readonly deployment: {
    readonly network: string;
    readonly chainId: number;
    readonly deployBlock: number;
    /** The oracle's period length, s. */
    readonly periodSeconds: number;
    /** The market's contracts, and the bid book (`bids`) when the deployment has one (docs/bids.md). */
    readonly addresses: Readonly<Record<"registry" | "usd" | "kwh" | "oracle" | "market", string>> & {
      readonly bids?: string;
    };
  };
  /** The chain behind /rpc right now: ok, or the problem in plain words. */
  readonly chain: { readonly ok: true } | { readonly ok: false; readonly problem: string };
  /** The case the grid view draws (absent: none given). */
  readonly caseName?: string;
  /** Whether per-period results are published (--results DIR or the demo's own). */
  readonly results: boolean;
  /** How often the pages poll the chain and the results, ms. */
  readonly pollMs: number;
  /** Present in --demo mode only: the in-process devnet and its driver. */
  readonly demo?: DemoInfo;
}

export interface DemoInfo {
  /** Devnet wallets a person may act as (private keys of a throw-away chain: never use elsewhere). */
  readonly generators: readonly {
    readonly label: string;
    readonly address: string;
    readonly node: number;
    readonly privateKey: string;
    /**
     * Its unit's planned output per period (the case's schedule at its node), kWh as an exact
     * decimal: what it nominates as its baseline, and what its meter reads without a trade.
     */
    readonly plannedKwh: string;
  }[];
  /** Generators run by agents (they fill offers at their nodes by their policy). */
  readonly agents: readonly { readonly address: string; readonly node: number }[];
  readonly centre: string;
  /** Wall seconds between periods. */
  readonly tickSeconds: number;
}

/** /api/demo (demo mode): the period driver's state. */
export interface DemoStatus {
  readonly paused: boolean;
  readonly busy: boolean;
  /** The period the centre last acted in, and the delivery period its offers are for. */
  readonly period?: number;
  readonly deliveryPeriod?: number;
  /** Wall-clock time of the next period, ms since the epoch (absent while paused or busy). */
  readonly nextTickAt?: number;
  readonly ticks: number;
  /** The last failure of the driver, if the last tick failed. */
  readonly error?: string;
}

/** /api/case: the one-line diagram's data, from the case file. */
export interface Topology {
  readonly name: string;
  readonly baseMVA: number;
  readonly periodMinutes?: number;
  readonly buses: readonly {
    readonly id: number;
    /** MATPOWER bus type: 1 PQ, 2 PV, 3 reference (master unit), 4 isolated. */
    readonly type: number;
    readonly pdMW: number;
    readonly qdMVAr: number;
    /** Voltage band, p.u. */
    readonly vmin: number;
    readonly vmax: number;
    readonly baseKV: number;
  }[];
  readonly branches: readonly {
    /** 1-based row in the case's branch matrix (0-based row = the oracle's `line`). */
    readonly row: number;
    readonly from: number;
    readonly to: number;
    readonly inService: boolean;
    /** Limit on the loss-neutral mean active flow, MW (null: none). */
    readonly limitMW: number | null;
    /** RATE_A, MVA (null: none). */
    readonly rateAMVA: number | null;
  }[];
  readonly gens: readonly {
    /** 1-based gen row. */
    readonly row: number;
    readonly bus: number;
    readonly pgMW: number;
    readonly pminMW: number;
    readonly pmaxMW: number;
    readonly inService: boolean;
    /** Redispatch unit data when the unit is one (asking prices USD/MWh, ramp MW). */
    readonly unit?: {
      readonly kind: string;
      readonly upPrice: number;
      readonly downPrice: number;
      readonly rampMW: number;
    };
  }[];
}

// ---------------------------------------------------------------------------------------------
// Per-period results: periods.json holds the one period record (oracle/agents/day-record.ts,
// its schema in day-schema.ts), as the day simulation and the demo's pipeline write it; the
// server serves each as it is.

export type { AnyPeriodRecord, LineOverLimit, PeriodRecord, StudiedPeriodRecord } from "../../oracle/agents/day-record";
export type {
  GridDetail,
  GridStateRecord,
  LoadFlowRecord,
  PriceComponentsRecord,
  SensitivityRecord,
  VoltageOutsideRecord,
} from "../../oracle/agents/record-detail";

/** /api/periods: one line per published period (`period`: the chain period, else the day period). */
export interface PeriodIndexEntry {
  readonly period: number;
  /** The period's bounds, Unix s. */
  readonly start: number;
  readonly end: number;
  /** "studied" (the study and the fills) or "delivered" (and the period as it ran). */
  readonly stage: "studied" | "delivered";
  /** Lines over their limit in the study / as it ran (null: not delivered yet). */
  readonly studyViolations: number;
  readonly actualViolations: number | null;
}

// ---------------------------------------------------------------------------------------------
// Sealed bids (/api/bids): the bid book's auctions as its events and counters have them.

/** A bid step as revealed or selected: kWh over one delivery period, USD/MWh. */
export interface BidStepView {
  readonly kwh: number;
  readonly usdPerMWh: number;
}

export interface RevealedBidView {
  readonly generator: string;
  readonly node: number;
  readonly firstPeriod: number;
  readonly lastPeriod: number;
  /** Steps to raise and to lower output, cheapest first. */
  readonly up: readonly BidStepView[];
  readonly down: readonly BidStepView[];
}

export interface SelectedStepView {
  readonly generator: string;
  /** The selected bid's node (null: a step naming no revealed bid, which the bid book refuses). */
  readonly node: number | null;
  readonly direction: "increase" | "decrease";
  readonly step: number;
  readonly kwh: number;
  /** The price paid under the selection's rule, and the step's own bid, USD/MWh. */
  readonly usdPerMWh: number;
  readonly bidUsdPerMWh: number | null;
}

/**
 * One delivery period's auction. Before its bid gate only the sealed count is public; after it the
 * revealed bids; after the reveal window the centre's selection (once published).
 */
export interface BidPeriodView {
  readonly period: number;
  /** Unix seconds: commitments close, reveals close, fills close (the market's gate). */
  readonly bidGate: number;
  readonly revealEnd: number;
  readonly fillGate: number;
  readonly phase: "sealed" | "reveal" | "selection" | "delivery" | "past";
  /** BidBook.commitmentCount(period): commitments covering the period. */
  readonly sealed: number;
  /** Empty before the gate (nothing can be revealed then). */
  readonly revealed: readonly RevealedBidView[];
  readonly selection: {
    readonly pricingRule: "pay-as-bid" | "nodal";
    readonly inputHash: string;
    readonly centre: string;
    readonly steps: readonly SelectedStepView[];
    /** Σ kWh of the steps, and what they pay (Σ kWh × price), USD. */
    readonly kwh: number;
    readonly usd: number;
  } | null;
}

/** /api/bids: the bid book's terms and its auctions around the chain's present. */
export interface BidsView {
  readonly book: string;
  /** The chain's time when read (Unix s) and its period. */
  readonly chainTime: number;
  readonly currentPeriod: number;
  readonly terms: {
    readonly periodSeconds: number;
    readonly bidGateSeconds: number;
    readonly revealSeconds: number;
    readonly studySeconds: number;
    readonly gateClosureSeconds: number;
    readonly maxPriceUsdPerMWh: number;
  };
  /** Newest first: the coming delivery periods, then recent ones. */
  readonly periods: readonly BidPeriodView[];
}
