/**
 * Power-flow benchmark against MATPOWER's published timings.
 *
 *   npm run bench:pf [-- <case> ...] [--runs N] [--tol 1e-10]
 *
 * Without case names it runs every case in ../shared/matpower/cases, smallest first.
 *
 * Each case runs in its own child process so its peak memory is its own. In the child the case
 * is loaded once (timed separately), solved once to warm up, then solved `runs` times; the
 * figure is the median wall time of one `runPowerFlow` call, which covers what MATPOWER's
 * `runpf` timing covers: indexing, Ybus, Newton iterations and the results. Prints one JSON line
 * per case. Timings are noisy on shared machines: compare medians, not single runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadCase, runPowerFlow } from "../oracle";

const MATPOWER_DIR = resolve(__dirname, "../../shared/matpower");
/**
 * MATPOWER 8 classic path (`exp.use_legacy_core = 1`), Octave 7.3, NR at tol 1e-10, median of 5
 * in-process runpf calls on a 2-core machine of this kind — from ../shared/README.md.
 */
const MATPOWER_CLASSIC_SECONDS: Record<string, number> = {
  case9: 0.006,
  case118: 0.008,
  case1354pegase: 0.072,
  case2869pegase: 0.232,
  case9241pegase: 0.762,
};

interface Options {
  cases: string[];
  runs: number;
  tolerance: number;
  child: boolean;
}

function parseOptions(argv: string[]): Options {
  const cases: string[] = [];
  let runs = 9;
  let tolerance = 1e-10;
  let child = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs" || a === "--tol") {
      const v = Number(argv[++i]);
      if (!(v > 0) || (a === "--runs" && !Number.isInteger(v))) throw new Error(`${a} needs a positive number`);
      if (a === "--runs") runs = v;
      else tolerance = v;
    } else if (a === "--child") child = true;
    else if (a.startsWith("-")) throw new Error(`unknown option '${a}'`);
    else cases.push(a);
  }
  return { cases, runs, tolerance, child };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(name: string, runs: number, tolerance: number): Record<string, unknown> {
  const t0 = performance.now();
  const c = loadCase(join(MATPOWER_DIR, "cases", `${name}.m`));
  const loadMs = performance.now() - t0;
  const first = runPowerFlow(c, { tolerance }); // warm-up: JIT, caches
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const s = performance.now();
    runPowerFlow(c, { tolerance });
    times.push(performance.now() - s);
  }
  const medianMs = median(times);
  const matpower = MATPOWER_CLASSIC_SECONDS[name];
  return {
    case: name,
    buses: c.bus.length,
    branches: c.branch.length,
    iterations: first.iterations,
    runs,
    medianMs: round(medianMs),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
    loadMs: round(loadMs),
    matpowerClassicMs: matpower === undefined ? null : matpower * 1000,
    speedupVsMatpower: matpower === undefined ? null : round((matpower * 1000) / medianMs),
    // Whole child process: Node runtime (~50 MiB) + case + solver.
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Every case in the reference set, smallest first (by file size, a proxy for bus count). */
function allCases(): string[] {
  const dir = join(MATPOWER_DIR, "cases");
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith(".m"))
    .map((f) => ({ name: f.name.slice(0, -2), size: statSync(join(dir, f.name)).size }))
    .sort((a, b) => a.size - b.size)
    .map((f) => f.name);
}

const round = (x: number): number => Math.round(x * 100) / 100;

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  if (!existsSync(join(MATPOWER_DIR, "cases"))) {
    console.log(`bench:pf: MATPOWER cases not found at ${MATPOWER_DIR}; nothing to measure`);
    return;
  }
  if (opts.child) {
    console.log(JSON.stringify(measure(opts.cases[0], opts.runs, opts.tolerance)));
    return;
  }
  const cases = opts.cases.length > 0 ? opts.cases : allCases();
  for (const name of cases) {
    if (!existsSync(join(MATPOWER_DIR, "cases", `${name}.m`)))
      throw new Error(`no case ${name} in ${MATPOWER_DIR}/cases`);
    // ts-node's register hook is inherited through execArgv, so the child runs this same file.
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, __filename, "--child", name, "--runs", String(opts.runs), "--tol", String(opts.tolerance)],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    process.stdout.write(out);
  }
}

main();
