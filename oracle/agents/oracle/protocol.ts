/**
 * What a report's proposer and the oracle operators say to each other (docs/oracle.md):
 *
 *   observe        the proposer asks each operator what it measures now for the report's period —
 *                  each operator from its own meter data, checked against the meter keys the
 *                  registry binds; nothing is signed;
 *   sign-report    the proposer sends the report it built (the measurements at least `threshold`
 *                  operators observed alike, the study with the inputs it was made from); each
 *                  operator recomputes both and signs only if its own result is the proposal
 *                  exactly — otherwise it refuses, saying why;
 *   sign-correction  the same for one measurement that a late reading or a dispute corrects.
 *
 * The messages are plain JSON (bigints as {"$bigint": "…"}), so one protocol serves operators in
 * process (the simulation, the demo, tests) and over HTTP (`agent:oracle`). A signature needs no
 * authenticated channel: it is an EIP-712 signature by a key the oracle contract knows, over content
 * the operator computed itself.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import type { Bid } from "../../market/bids";
import type { Forecasts } from "../../market/period";
import type { BookKey, MeasurementData } from "../../chain/market-data";
import { canonicalJson } from "../../chain/encode";

/** A report as the oracle contract takes it (IGridOracle.Report), with plain types. */
export interface ReportData {
  readonly period: number;
  readonly inputHash: string;
  readonly readingsHash: string;
  readonly violations: {
    readonly line: number;
    readonly flowW: bigint;
    readonly limitW: bigint;
    readonly deviationW: bigint;
  }[];
  readonly prices: {
    readonly node: number;
    readonly usdPerMWh: bigint;
    readonly lossUsdPerMWh: bigint;
    readonly congestionUsdPerMWh: bigint;
  }[];
  readonly measurements: MeasurementData[];
}

/**
 * What the study's input hash commits to: the case file's hash, the period's forecasts and — on a
 * market with a bid book — the revealed bids covering the delivery period (RevealReader's order).
 */
export interface StudyInputs {
  readonly case: string;
  readonly forecasts: Forecasts & { readonly periodStart: number };
  readonly bids?: StudyBids;
}

/** The bids a study priced the units with: the bid book's address and its revealed bids for the period. */
export interface StudyBids {
  readonly book: string;
  readonly revealed: readonly Bid[];
}

/** One measurement an operator would report, with the digest of the reading it rests on. */
export interface ObservedMeasurement {
  readonly measurement: MeasurementData;
  /** keccak256 of the canonical JSON of the delivery period's reading (ZeroHash when none). */
  readonly readingDigest: string;
  /** Why the quality is not OK, in words (empty when OK). */
  readonly notes: readonly string[];
}

export interface ObservationRequest {
  /** The period whose report is being made. */
  readonly reportPeriod: number;
}

export interface ObservationResponse {
  /** The operator's oracle signer address. */
  readonly operator: string;
  readonly reportPeriod: number;
  /** Ended delivery periods with an open book and no measurement on chain, measured. */
  readonly measurements: readonly ObservedMeasurement[];
  /** Books whose meter data has not arrived while the reading grace time runs: measured later. */
  readonly pending: readonly BookKey[];
  /** Meter sources that could not be read, records that could not be used: for the proposer's log. */
  readonly problems: readonly string[];
}

export interface ReportProposal {
  readonly report: ReportData;
  /** Last second (Unix s) the signatures are valid. */
  readonly deadline: number;
  /** The oracle's configuration epoch the signatures are for. */
  readonly configEpoch: number;
  /** What report.inputHash commits to; null for a report without a study (a stand-in proposer's). */
  readonly inputs: StudyInputs | null;
  /** Who proposes (an address, or a name), for the operators' logs. */
  readonly proposer: string;
}

export interface CorrectionProposal {
  readonly measurement: MeasurementData;
  readonly readingsHash: string;
  readonly deadline: number;
  readonly configEpoch: number;
  readonly proposer: string;
}

/** An operator's answer to a request for its signature. */
export type SignResponse =
  | { readonly signer: string; readonly signature: string }
  | {
      readonly signer: string;
      /** Why it will not sign, each reason naming the field, the generator and period, and both values. */
      readonly refused: readonly string[];
      /** A different report it signed earlier for the same period, still valid: it never signs two. */
      readonly signed?: { readonly proposal: ReportProposal; readonly signature: string };
    };

/** An oracle operator as a proposer reaches it: in process or over HTTP. */
export interface OperatorClient {
  /** For logs: the operator's address or URL. */
  readonly name: string;
  observe(request: ObservationRequest): Promise<ObservationResponse>;
  signReport(proposal: ReportProposal): Promise<SignResponse>;
  signCorrection(proposal: CorrectionProposal): Promise<SignResponse>;
}

export const isSignature = (r: SignResponse): r is { signer: string; signature: string } => "signature" in r;

/** JSON with bigints as {"$bigint": "…"} (what the state files use too). */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
}

export function fromWire<T>(text: string): T {
  return JSON.parse(text, (_k, v) =>
    v && typeof v === "object" && typeof v.$bigint === "string" && Object.keys(v).length === 1 ? BigInt(v.$bigint) : v,
  ) as T;
}

/** keccak256 of the canonical JSON of a value with bigints (a measurement, a reading): equal values, equal digests. */
export function valueDigest(value: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(JSON.parse(toWire(value)))));
}

/** The readings hash a report carries: over its measurements' reading digests, in report order (ZeroHash for none). */
export function readingsHashOf(digests: readonly string[]): string {
  if (digests.length === 0) return "0x" + "0".repeat(64);
  return keccak256(toUtf8Bytes(digests.join(",")));
}

/** "0xabcd…@1234" for logs. */
export const bookName = (k: BookKey): string => `${k.generator.slice(0, 10)}@${k.period}`;
