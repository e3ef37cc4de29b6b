/**
 * Power-flow benchmark against MATPOWER's published timings.
 *
 *   npm run bench:pf [-- <case name | path/to/case.m | path/to/case.json> ...] [--runs N] [--tol 1e-10]
 *                    [--idle SECONDS]
 *
 * Without cases it runs every case in ../shared/matpower/cases, smallest first. A bare name is
 * looked up there; anything with a path separator or a .m/.json ending is read as a file.
 *
 * Each case runs in its own child process so its peak memory is its own. In the child:
 *   - loadMs: `loadCase` (read and parse the file, validate), median of `runs` after one warm-up;
 *     loadFirstMs is that first, un-warmed read.
 *   - coldMs: one `runPowerFlow` call from the case as loaded — indexing, Ybus, ordering, LU
 *     analysis, Newton iterations and the results, nothing reused between calls; median of `runs`
 *     after one warm-up. This covers what MATPOWER's `runpf` timing covers. (`medianMs`, `minMs`
 *     and `maxMs` are the same runs, kept for earlier readers of these lines.)
 *   - with --idle S: after the timed runs the child sleeps S seconds, then times one more solve
 *     (idleMs) and reports idleRatio = idleMs / coldMs (the "first solve after idle").
 * Prints one JSON line per case. Timings are noisy on shared machines: compare medians, not
 * single runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
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
  idleSeconds: number;
  child: boolean;
}

function parseOptions(argv: string[]): Options {
  const cases: string[] = [];
  let runs = 9;
  let tolerance = 1e-10;
  let idleSeconds = 0;
  let child = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs" || a === "--tol" || a === "--idle") {
      const v = Number(argv[++i]);
      if (!(v > 0) || (a === "--runs" && !Number.isInteger(v))) throw new Error(`${a} needs a positive number`);
      if (a === "--runs") runs = v;
      else if (a === "--tol") tolerance = v;
      else idleSeconds = v;
    } else if (a === "--child") child = true;
    else if (a.startsWith("-")) throw new Error(`unknown option '${a}'`);
    else cases.push(a);
  }
  return { cases, runs, tolerance, idleSeconds, child };
}

/** A case argument as a file path: a bare name means ../shared/matpower/cases/<name>.m. */
function casePath(arg: string): string {
  const isPath = arg.includes("/") || arg.includes("\\") || [".m", ".json"].includes(extname(arg).toLowerCase());
  const path = isPath ? resolve(arg) : join(MATPOWER_DIR, "cases", `${arg}.m`);
  if (!existsSync(path)) throw new Error(`bench:pf: no case file ${path}`);
  return path;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

async function measure(path: string, opts: Options): Promise<Record<string, unknown>> {
  const { runs, tolerance } = opts;
  const loadFirstMs = timed(() => loadCase(path));
  const loads: number[] = [];
  for (let k = 0; k < runs; k++) loads.push(timed(() => loadCase(path)));
  const c = loadCase(path);

  const first = runPowerFlow(c, { tolerance }); // warm-up: JIT
  const cold: number[] = [];
  for (let k = 0; k < runs; k++) cold.push(timed(() => runPowerFlow(c, { tolerance })));
  const coldMs = median(cold);

  let idle: Record<string, number> = {};
  if (opts.idleSeconds > 0) {
    await new Promise((done) => setTimeout(done, opts.idleSeconds * 1000));
    const idleMs = timed(() => runPowerFlow(c, { tolerance }));
    idle = { idleSeconds: opts.idleSeconds, idleMs: round(idleMs), idleRatio: round(idleMs / coldMs) };
  }

  const name = basename(path, extname(path));
  const matpower = path.startsWith(MATPOWER_DIR) ? MATPOWER_CLASSIC_SECONDS[name] : undefined;
  return {
    case: name,
    buses: c.bus.length,
    branches: c.branch.length,
    iterations: first.iterations,
    runs,
    coldMs: round(coldMs),
    medianMs: round(coldMs),
    minMs: round(Math.min(...cold)),
    maxMs: round(Math.max(...cold)),
    loadMs: round(median(loads)),
    loadFirstMs: round(loadFirstMs),
    ...idle,
    matpowerClassicMs: matpower === undefined ? null : matpower * 1000,
    speedupVsMatpower: matpower === undefined ? null : round((matpower * 1000) / coldMs),
    // Whole child process: Node runtime and ts-node's compiler (~130 MiB) + case + solver.
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Every case in the reference set, smallest first (by file size, a proxy for bus count). */
function allCases(): string[] {
  const dir = join(MATPOWER_DIR, "cases");
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith(".m"))
    .map((f) => ({ path: join(dir, f.name), size: statSync(join(dir, f.name)).size }))
    .sort((a, b) => a.size - b.size)
    .map((f) => f.path);
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.child) {
    console.log(JSON.stringify(await measure(opts.cases[0], opts)));
    return;
  }
  let paths: string[];
  if (opts.cases.length > 0) paths = opts.cases.map(casePath);
  else if (existsSync(join(MATPOWER_DIR, "cases"))) paths = allCases();
  else {
    console.log(`bench:pf: MATPOWER cases not found at ${MATPOWER_DIR}; give case files on the command line`);
    return;
  }
  for (const path of paths) {
    // ts-node's register hook is inherited through execArgv, so the child runs this same file.
    const args = ["--child", path, "--runs", String(opts.runs), "--tol", String(opts.tolerance)];
    if (opts.idleSeconds > 0) args.push("--idle", String(opts.idleSeconds));
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    process.stdout.write(out);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
