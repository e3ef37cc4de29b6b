/** The centre agent's configuration, and what one of its steps did (oracle/agents/centre.ts). */
import type { Signer } from "ethers";
import type { BidBook } from "../../typechain-types";
import type { PowerCase } from "../grid/case/types";
import type { Forecasts, PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import type { GridSwapContracts } from "../chain/deploy";
import type { BookKey, MeasurementData, OfferData } from "../chain/market-data";
import type { RetryOptions } from "../chain/retry";
import type { TxRecord } from "../chain/tx";
import type { OperatorClient, ReportData } from "./oracle/protocol";

/** An offer to post: a priced adjustment, optionally reserved for one wallet and numbered as a part. */
export type PlannedOffer = Offer & { readonly reservedFor?: string; readonly part?: number };

/** The reading grace time when none is configured: a tenth of a period, at most two minutes. */
export function defaultReadingGrace(periodSeconds: number): number {
  return Math.min(120, Math.floor(periodSeconds / 10));
}

export interface CentreAgentConfig {
  readonly contracts: GridSwapContracts;
  /** First block with GridSwap logs (the deployment file's deployBlock). */
  readonly deployBlock: number;
  /** The centre's wallet (CENTRE_ROLE): signs offers, pays for fills from its vault balance. */
  readonly centre: Signer;
  /** The oracle operators it proposes reports to (in process or agent:oracle over HTTP). */
  readonly operators: readonly OperatorClient[];
  /** Who sends the report transactions (default: the centre's wallet). */
  readonly relayer?: Signer;
  readonly case: PowerCase;
  /** The case file's text, hashed into each report's inputHash. */
  readonly caseText: string;
  /** Forecasts for a delivery period (PV output, demand scale). */
  readonly forecasts?: (deliveryPeriod: number) => Forecasts;
  /**
   * The offers to post for a study (default: the study's own). The demo's --paper posts the
   * paper's; a benchmark splits one adjustment into parts, each reserved for one generator.
   */
  readonly offersFor?: (study: PeriodResult) => readonly PlannedOffer[];
  /**
   * The market's bid book (docs/bids.md): each study prices the units with the bids revealed for
   * its period, and the offers go to the selected bidders (reserved) and the units nobody bid for.
   */
  readonly bids?: BidBook;
  /** The baseline method offers name (default Nominated: each generator's own nomination). */
  readonly baseline?: { readonly method: "Nominated" | "RollingAverage" | "MeterBefore"; readonly days?: number };
  /**
   * Seconds after a period's end that meter readings may take to arrive: the centre proposes the
   * report after it (default defaultReadingGrace: a tenth of a period, at most 120 s).
   */
  readonly readingGraceSeconds?: number;
  /** Measurements per report at most (the rest go in later reports; default 300, contract max 600). */
  readonly maxMeasurementsPerReport?: number;
  /** Gas the report transaction may spend on pushed settlements (default 5,000,000). */
  readonly settlementGasBudget?: number;
  /** Seconds before the gate closes after which the centre no longer posts (default: a tenth of a period). */
  readonly minFillWindowSeconds?: number;
  readonly maxBlockRange?: number;
  /** Agent state file (last block read, open books, which report measured them); in memory when omitted. */
  readonly statePath?: string;
  /**
   * The key is this process's alone (a standalone agent): a nonce it did not use makes it stand
   * by (KeyInUseError). Leave off where other code in the process sends with the same wallet.
   */
  readonly exclusiveKey?: boolean;
  /** Changes each report before it is proposed: a dishonest centre, for the demo and tests only. */
  readonly tamper?: (report: ReportData) => ReportData;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface CentreStep {
  /** The period the step ran in, and the delivery period it studied and posted for. */
  readonly period: number;
  readonly deliveryPeriod: number;
  /** Whether this step landed the period's report (false: on chain already, waiting, or refused). */
  readonly reported: boolean;
  /** The measurements of the report this step landed. */
  readonly measurements: MeasurementData[];
  /** What the operators said when they refused this step's proposal. */
  readonly refusals: { readonly operator: string; readonly reasons: readonly string[] }[];
  /** Books settled by this step (pushed in the report or report by report), unwound, and offers posted. */
  readonly settled: BookKey[];
  readonly unwound: BookKey[];
  readonly posted: { offerHash: string; offer: OfferData }[];
  readonly dropped: string[];
  readonly study?: PeriodResult;
  /** Why nothing was reported or posted, when so. */
  readonly problems: string[];
  /** Every transaction this step mined, with its gas. */
  readonly transactions: TxRecord[];
}
