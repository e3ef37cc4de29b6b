/**
 * Power-flow benchmark against MATPOWER's published timings.
 *
 *   npm run bench:pf [-- <case name | path/to/case.m | path/to/case.json> ...] [--runs N] [--warmup N]
 *                    [--tol 1e-10] [--idle SECONDS]
 *
 * Without cases it runs every case in ../shared/matpower/cases, smallest first. A bare name is
 * looked up there; anything with a path separator or a .m/.json ending is read as a file.
 *
 * Each case runs in its own child process so its peak memory is its own. In the child:
 *   - loadMs: `loadCase` (read and parse the file, validate), median of `runs` after `warmup`
 *     more; loadFirstMs is the very first, un-warmed read.
 *   - coldMs: one `runPowerFlow(c, { reuseModel: false })` — indexing, Ybus, ordering, Jacobian
 *     pattern, LU analysis, Newton iterations and the results, nothing reused between calls;
 *     median of `runs` after `warmup` solves. This covers what MATPOWER's `runpf` timing covers.
 *     (`medianMs`, `minMs` and `maxMs` are the same runs, kept for earlier readers of these lines.)
 *   - cachedMs: one `runPowerFlow` of the same network with new injections (every demand scaled
 *     by a different factor each run), so the cached network model (indexing, Ybus, Jacobian
 *     pattern, LU analysis) is reused and only the injections, Newton iterations and results are
 *     computed; median of `runs` after `warmup` solves.
 * --warmup N (default 5): untimed calls before each series, so that V8 has compiled the hot code
 * and the figures are the steady state the issue compares (its background compiler otherwise
 * still competes for the core during the first calls).
 *   - with --idle S (the "first solve after idle"): after the timed runs the child sleeps
 *     S seconds and times one cold solve (idleColdMs, idleColdRatio = idleColdMs / coldMs), then
 *     sleeps S seconds again and times one cached solve with new injections (idleCachedMs,
 *     idleCachedRatio = idleCachedMs / cachedMs). The case is built before the sleep: only the
 *     solve is timed.
 * Each line also gives the CPU time of the same calls (coldCpuMs, cachedCpuMs, loadCpuMs) and the
 * load average, because on a shared machine wall time includes waiting for a core.
 * Prints one JSON line per case. Timings are noisy on shared machines: compare medians, not
 * single runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { BUS, loadCase, runPowerFlow, type PowerCase } from "../oracle";

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
  warmup: number;
  tolerance: number;
  idleSeconds: number;
  child: boolean;
}

function parseOptions(argv: string[]): Options {
  const cases: string[] = [];
  let runs = 9;
  let warmup = 5;
  let tolerance = 1e-10;
  let idleSeconds = 0;
  let child = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs" || a === "--warmup" || a === "--tol" || a === "--idle") {
      const v = Number(argv[++i]);
      const integer = a === "--runs" || a === "--warmup";
      if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`${a} needs a positive number`);
      if (a === "--runs") runs = v;
      else if (a === "--warmup") warmup = v;
      else if (a === "--tol") tolerance = v;
      else idleSeconds = v;
    } else if (a === "--child") child = true;
    else if (a.startsWith("-")) throw new Error(`unknown option '${a}'`);
    else cases.push(a);
  }
  return { cases, runs, warmup, tolerance, idleSeconds, child };
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

/** CPU time (ms, all threads of this process) of each timed call, beside its wall time. */
const cpuTimes = new Map<string, number[]>();

function timed(f: () => void, label?: string): number {
  const cpu = process.cpuUsage();
  const t = performance.now();
  f();
  const wall = performance.now() - t;
  if (label !== undefined) {
    const used = process.cpuUsage(cpu);
    const list = cpuTimes.get(label) ?? [];
    list.push((used.user + used.system) / 1000);
    cpuTimes.set(label, list);
  }
  return wall;
}

async function measure(path: string, opts: Options): Promise<Record<string, unknown>> {
  const { runs, tolerance } = opts;
  const loadFirstMs = timed(() => loadCase(path));
  for (let k = 0; k < opts.warmup; k++) loadCase(path);
  const loads: number[] = [];
  for (let k = 0; k < runs; k++) loads.push(timed(() => loadCase(path), "load"));
  const c = loadCase(path);

  const first = runPowerFlow(c, { tolerance, reuseModel: false });
  for (let k = 1; k < opts.warmup; k++) runPowerFlow(c, { tolerance, reuseModel: false });
  const cold: number[] = [];
  for (let k = 0; k < runs; k++) cold.push(timed(() => runPowerFlow(c, { tolerance, reuseModel: false }), "cold"));
  const coldMs = median(cold);

  // Same topology, new injections: demands scaled by 1.00, 0.99, 0.98... (cases built untimed).
  const variants = Array.from({ length: runs + opts.warmup }, (_, k) => withDemandScaled(c, 1 - 0.005 * k));
  for (let k = 0; k < opts.warmup; k++) runPowerFlow(variants[runs + k], { tolerance }); // also fills the cache
  const cached: number[] = [];
  for (let k = 0; k < runs; k++) cached.push(timed(() => runPowerFlow(variants[k], { tolerance }), "cached"));

  let idle: Record<string, number> = {};
  if (opts.idleSeconds > 0) {
    const sleep = (): Promise<void> => new Promise((done) => setTimeout(done, opts.idleSeconds * 1000));
    await sleep();
    const idleColdMs = timed(() => runPowerFlow(c, { tolerance, reuseModel: false }));
    await sleep();
    const next = withDemandScaled(c, 0.95);
    const idleCachedMs = timed(() => runPowerFlow(next, { tolerance }));
    idle = {
      idleSeconds: opts.idleSeconds,
      idleColdMs: round(idleColdMs),
      idleColdRatio: round(idleColdMs / coldMs),
      idleCachedMs: round(idleCachedMs),
      idleCachedRatio: round(idleCachedMs / median(cached)),
    };
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
    cachedMs: round(median(cached)),
    loadMs: round(median(loads)),
    loadFirstMs: round(loadFirstMs),
    ...idle,
    // The machine is shared: the 1-minute load average and the CPU time of the same calls
    // (median; all threads of the process) tell contention apart from the engine's own work.
    loadAverage: round(loadavg()[0]),
    coldCpuMs: round(median(cpuTimes.get("cold") ?? [])),
    cachedCpuMs: round(median(cpuTimes.get("cached") ?? [])),
    loadCpuMs: round(median(cpuTimes.get("load") ?? [])),
    matpowerClassicMs: matpower === undefined ? null : matpower * 1000,
    speedupVsMatpower: matpower === undefined ? null : round((matpower * 1000) / coldMs),
    // Whole child process: Node runtime and ts-node's compiler (~130 MiB) + case + solver.
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

/** A copy of `c` with every bus's Pd and Qd multiplied by `factor` (same topology). */
function withDemandScaled(c: PowerCase, factor: number): PowerCase {
  return {
    ...c,
    bus: c.bus.map((row) => {
      const r = row.slice();
      r[BUS.PD] *= factor;
      r[BUS.QD] *= factor;
      return r;
    }),
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
    const args = ["--child", path, "--runs", String(opts.runs), "--warmup", String(opts.warmup)];
    args.push("--tol", String(opts.tolerance));
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
