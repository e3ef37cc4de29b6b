/**
 * MATPOWER references for GridSwap's redispatch: exports each problem below as `period
 * --export-opf` does, solves it with MATPOWER's runopf in Octave, and writes what MATPOWER found to
 * test/oracle/market/opf-ref/<name>.json, which test/oracle/market/opf-reference.test.ts compares
 * GridSwap with — so the tests need no Octave. See tools/README.md.
 *
 *   npx ts-node --transpile-only tools/opf-reference.ts [NAME ...]     (default: every problem)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as prettier from "prettier";
import { loadCase } from "../oracle";
import { compareOpf, type OpfReference } from "../oracle/market/opf-compare";
import { exportPeriodOpf, problemKey, type PeriodProblem } from "../oracle/market/opf-export";
import { OPF_OPTIONS } from "../oracle/market/opf-matlab";
import { matpowerMissing, runMatpowerOpf } from "./matpower/octave";

const ROOT = resolve(__dirname, "..");
export const REFERENCE_DIR = join(ROOT, "test/oracle/market/opf-ref");

/** A reference problem: a case (path from the project root) and the period's inputs. */
export interface ReferenceProblem extends PeriodProblem {
  readonly name: string;
  readonly case: string;
  readonly description: string;
}

/** Period start of every reference run (it changes nothing but the offers' times). */
export const REFERENCE_START = 1_767_225_600;

export const PROBLEMS: readonly ReferenceProblem[] = [
  {
    name: "seed34",
    case: "cases/seed34.json",
    description: "the paper's microgrid as the case gives it: Table I's three lines over 0.75 MW",
  },
  {
    name: "seed34-pv",
    case: "cases/seed34.json",
    forecasts: { generation: { "34": 0.6 }, demandScale: 1.03 },
    description: "seed34 with the PV array at 0.6 MW and 3 % more demand: gen 27 at its ramp, PV curtailed",
  },
  {
    name: "case118",
    case: "cases/matpower/case118.m",
    deriveOperation: { congestedLines: 5 },
    description:
      "MATPOWER's case118 with operation data derived as a simulated day derives them: its 5 most loaded lines " +
      "limited to 90 % of their flow, every unit but the master redispatchable at its gencost price",
  },
];

async function makeReference(problem: ReferenceProblem): Promise<void> {
  const c = loadCase(join(ROOT, problem.case));
  const forecasts = { ...problem.forecasts, periodStart: REFERENCE_START };
  const { opf, result } = await exportPeriodOpf(c, { ...problem, forecasts });
  const dir = mkdtempSync(join(tmpdir(), `gridswap-${problem.name}-`));
  try {
    for (const [name, text] of Object.entries(opf.files)) writeFileSync(join(dir, name), text);
    const mp = runMatpowerOpf(join(dir, `${opf.name}.m`));
    if (!mp.success) throw new Error(`${problem.name}: MATPOWER did not solve the exported problem`);
    const { data } = opf;
    const n = data.limitedBranchRows.length;
    const reference: OpfReference = {
      matpower: mp.matpower,
      success: mp.success,
      iterations: mp.iterations,
      objective: mp.objective,
      units: data.genRows.map((gen, k) => ({
        gen,
        bus: data.gen[k][0],
        scheduledMW: mp.schedule[k],
        outputMW: mp.pg[k],
      })),
      limits: data.limitedBranchRows.map((branch, i) => ({
        branch,
        from: c.branch[branch - 1][0],
        to: c.branch[branch - 1][1],
        limitMW: data.meanFlowLimits[i][7],
        muFromTo: mp.mu[i],
        muToFrom: mp.mu[n + i],
      })),
      lmp: mp.bus.map((bus, i) => ({ bus, price: mp.lamP[i] })),
    };
    const comparison = compareOpf(opf.answer, reference);
    const file = join(REFERENCE_DIR, `${problem.name}.json`);
    const document = {
      about:
        "MATPOWER's runopf solution of GridSwap's redispatch of this problem, exported as `npm run period -- " +
        "--export-opf` exports it; made by tools/opf-reference.ts, compared by test/oracle/market/opf-reference.test.ts",
      problem: { ...problem, periodStart: REFERENCE_START },
      options: Object.fromEntries(OPF_OPTIONS),
      key: problemKey(data),
      reference,
      gridswapWhenMade: { status: result.redispatch.status, rounds: result.redispatch.rounds, comparison },
    };
    mkdirSync(REFERENCE_DIR, { recursive: true });
    // As `npm run format` would leave it (prettier's config), so lint's format check passes.
    const options = (await prettier.resolveConfig(file)) ?? {};
    writeFileSync(file, await prettier.format(JSON.stringify(document), { ...options, filepath: file }));
    console.log(
      `${problem.name}: MATPOWER ${mp.matpower}, ${mp.iterations} MIPS iterations; GridSwap ${result.redispatch.rounds} round(s): ` +
        `moves within ${comparison.moveMW.toExponential(1)} MW, binding [${comparison.bindingGridSwap}] vs ` +
        `[${comparison.bindingMatpower}], μ within ${(comparison.muRelative * 100).toExponential(1)} %, LMP within ` +
        `${comparison.lmpUsdPerMWh.toExponential(1)} USD/MWh (${(comparison.lmpRelative * 100).toExponential(1)} %) → ${file}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const missing = matpowerMissing();
  if (missing) throw new Error(`${missing}: the references need Octave and MATPOWER`);
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !PROBLEMS.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown problem(s) ${unknown.join(", ")}: known are ${PROBLEMS.map((p) => p.name).join(", ")}`);
  }
  for (const problem of PROBLEMS) if (names.length === 0 || names.includes(problem.name)) await makeReference(problem);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`opf-reference: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
