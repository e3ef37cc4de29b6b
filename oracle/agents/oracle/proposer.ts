/**
 * Making a report that k of n independent operators will sign (docs/oracle.md):
 *
 *   1. ask every operator what it observes (in parallel, each bounded in time): an absent operator
 *      is one fewer observer, never a stalled report;
 *   2. keep a measurement when at least k operators observed exactly it — taken in order (oldest
 *      period, then registry index), each kept measurement narrows the operators that can still
 *      sign to those that agree on everything kept so far (never below k);
 *   3. ask for signatures; an operator that signed a different report for the period earlier
 *      (still valid) answers with it, and the proposer then completes that one instead.
 *
 * Pure coordination: it holds no key and sends no transaction.
 */
import { ZeroHash } from "ethers";
import { bookKeyId } from "../../chain/market-data";
import {
  bookName,
  isSignature,
  readingsHashOf,
  toWire,
  type ObservationResponse,
  type ObservedMeasurement,
  type OperatorClient,
  type ReportData,
  type ReportProposal,
  type StudyInputs,
} from "./protocol";

/** The oracle contract's bound on measurements per report. */
export const MAX_MEASUREMENTS_PER_REPORT = 600;

export interface ReportRequest {
  readonly operators: readonly OperatorClient[];
  readonly threshold: number;
  readonly reportPeriod: number;
  readonly configEpoch: number;
  readonly deadline: number;
  /** The study part (violations, prices, input hash) and what its input hash commits to; none: a report without a study. */
  readonly study?: {
    readonly report: Pick<ReportData, "inputHash" | "violations" | "prices">;
    readonly inputs: StudyInputs;
  };
  readonly proposer: string;
  /** At most this many measurements (default and most: the contract's 600); the oldest go first. */
  readonly maxMeasurements?: number;
  /** Changes the report before it is sent for signatures (a dishonest proposer, in the demo and tests). */
  readonly tamper?: (report: ReportData) => ReportData;
  readonly log?: (line: string) => void;
}

export interface ReportOutcome {
  /** The report with enough signatures, or undefined. */
  readonly signed?: { readonly proposal: ReportProposal; readonly signatures: string[] };
  /** What each refusing operator said. */
  readonly refusals: { readonly operator: string; readonly reasons: readonly string[] }[];
  /** Operators that did not answer. */
  readonly unreachable: { readonly operator: string; readonly problem: string }[];
  /** Measurements left out (no k operators agreed), and books still pending somewhere. */
  readonly leftOut: string[];
}

/** Builds the report from the operators' observations and collects k signatures for it. */
export async function collectReport(r: ReportRequest): Promise<ReportOutcome> {
  const log = r.log ?? (() => undefined);
  const unreachable: ReportOutcome["unreachable"] = [];
  const answers = await Promise.all(
    r.operators.map(async (o) => {
      try {
        return { operator: o, observation: await o.observe({ reportPeriod: r.reportPeriod }) };
      } catch (e) {
        unreachable.push({ operator: o.name, problem: (e as Error).message });
        return undefined;
      }
    }),
  );
  const observed = answers.filter((a): a is { operator: OperatorClient; observation: ObservationResponse } => !!a);
  const { kept, leftOut, signers } = agree(observed, r.threshold, r.maxMeasurements ?? MAX_MEASUREMENTS_PER_REPORT);
  for (const o of observed)
    for (const p of o.observation.problems) log(`operator ${o.operator.name} observes a problem: ${p}`);
  let report: ReportData = {
    period: r.reportPeriod,
    inputHash: r.study?.report.inputHash ?? ZeroHash,
    readingsHash: readingsHashOf(kept.map((k) => k.readingDigest)),
    violations: r.study?.report.violations ?? [],
    prices: r.study?.report.prices ?? [],
    measurements: kept.map((k) => k.measurement),
  };
  if (r.tamper) report = r.tamper(report);
  const proposal: ReportProposal = {
    report,
    deadline: r.deadline,
    configEpoch: r.configEpoch,
    inputs: r.study?.inputs ?? null,
    proposer: r.proposer,
  };
  // Everyone who answered is asked (an operator outside the agreeing set may agree after all).
  const asked = observed.length > 0 ? observed.map((o) => o.operator) : [...r.operators];
  const first = await askToSign(asked, proposal, unreachable);
  if (first.signatures.length >= r.threshold) {
    return { signed: { proposal, signatures: first.signatures }, refusals: first.refusals, unreachable, leftOut };
  }
  // An earlier report some operators signed for this period, still valid: complete that one.
  const earlier = first.earlier;
  if (earlier) {
    log(`period ${r.reportPeriod}: an operator signed another report earlier; completing that one`);
    const second = await askToSign(asked, earlier, unreachable);
    if (second.signatures.length >= r.threshold) {
      return {
        signed: { proposal: earlier, signatures: second.signatures },
        refusals: first.refusals,
        unreachable,
        leftOut,
      };
    }
  }
  if (signers.length < r.threshold && kept.length === 0 && observed.length < r.threshold) {
    log(`period ${r.reportPeriod}: only ${observed.length} of ${r.operators.length} operator(s) answered`);
  }
  return { refusals: first.refusals, unreachable, leftOut };
}

async function askToSign(
  operators: readonly OperatorClient[],
  proposal: ReportProposal,
  unreachable: ReportOutcome["unreachable"],
): Promise<{ signatures: string[]; refusals: ReportOutcome["refusals"]; earlier?: ReportProposal }> {
  const signatures: string[] = [];
  const refusals: ReportOutcome["refusals"] = [];
  let earlier: ReportProposal | undefined;
  await Promise.all(
    operators.map(async (o) => {
      try {
        const answer = await o.signReport(proposal);
        if (isSignature(answer)) signatures.push(answer.signature);
        else if ("refused" in answer) {
          refusals.push({ operator: o.name, reasons: answer.refused });
          if (answer.signed && toWire(answer.signed.proposal.report) !== toWire(proposal.report))
            earlier = answer.signed.proposal;
        }
      } catch (e) {
        if (!unreachable.some((u) => u.operator === o.name))
          unreachable.push({ operator: o.name, problem: (e as Error).message });
      }
    }),
  );
  return { signatures, refusals, earlier };
}

/**
 * The measurements at least `threshold` operators observed alike, oldest first, each narrowing the
 * set of operators that agree on all of them; and what was left out.
 */
export function agree(
  observed: readonly { readonly operator: OperatorClient; readonly observation: ObservationResponse }[],
  threshold: number,
  max: number,
): { kept: ObservedMeasurement[]; leftOut: string[]; signers: OperatorClient[] } {
  let candidates = observed.map((o) => ({
    operator: o.operator,
    byBook: new Map(o.observation.measurements.map((m) => [bookKeyId(m.measurement), m])),
  }));
  const books = new Map<string, ObservedMeasurement>();
  for (const c of candidates) for (const [id, m] of c.byBook) if (!books.has(id)) books.set(id, m);
  const order = [...books.entries()].sort(
    ([, a], [, b]) =>
      a.measurement.period - b.measurement.period || a.measurement.generatorIndex - b.measurement.generatorIndex,
  );
  const kept: ObservedMeasurement[] = [];
  const leftOut: string[] = [];
  for (const [id, any] of order) {
    if (kept.length >= max) {
      leftOut.push(`${bookName(any.measurement)}: the report is full (${max})`);
      continue;
    }
    const votes = new Map<string, { value: ObservedMeasurement; voters: typeof candidates }>();
    for (const c of candidates) {
      const m = c.byBook.get(id);
      if (!m) continue;
      const key = toWire([m.measurement, m.readingDigest]);
      const v = votes.get(key) ?? { value: m, voters: [] };
      v.voters.push(c);
      votes.set(key, v);
    }
    const best = [...votes.values()].sort((a, b) => b.voters.length - a.voters.length)[0];
    if (!best || best.voters.length < threshold) {
      leftOut.push(
        `${bookName(any.measurement)}: ${best ? best.voters.length : 0} operator(s) agree, ${threshold} needed`,
      );
      continue;
    }
    kept.push(best.value);
    candidates = best.voters;
  }
  return { kept, leftOut, signers: candidates.map((c) => c.operator) };
}
