/**
 * A day on the grid (issue #13): every market period of a date runs the whole market on a chain.
 *
 *   npm run simulate -- [<case>] [--date 2026-06-15] [--start 00:00] [--periods 48] [--profile g25|h25|FILE]
 *                      [--pv-peak-mw X] [--latitude 52.5] [--longitude 13.4] [--utc-offset H] [--clouds 0..1]
 *                      [--generators N] [--seed S] [--congested-lines K] [--limit-fraction F]
 *                      [--bids] [--rpc URL --deployment FILE] [--out DIR] [--json]
 *
 * <case>: a case file (.json or MATPOWER .m), or the name of one the project ships (cases/*.json,
 * cases/matpower/*.m); default seed34. The profile: a shipped BDEW profile by name (data/profiles:
 * g25, the default, or h25) or any file in its layout. With no arguments it runs the paper's
 * microgrid on a June Monday with the commerce profile: midday congestion, offers, fills, delivery
 * and settlement.
 * Default chain: Hardhat's in-process network; --rpc runs on a development node (hardhat node,
 * Anvil) with the funder PRIVATE_KEY or the node's first unlocked account, and writes the
 * deployment to --deployment as soon as GridSwap is deployed (for the dashboard and tasks).
 * Writes --out (default out/<case>-<date>/): summary.json, periods.json, periods.csv, plots (SVG),
 * report.html, case.json, market.log. A progress bar on a terminal, unless --json.
 * Exit status: 0 done; 1 bad input or failure — one line on stderr, nothing written to --out.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { SingleBar } from "cli-progress";
import { loadCase } from "../oracle";
import { simulateDay, type ChainSpec, type DayConfig, type DayResult, type DaySummary } from "../oracle/agents/day";
import { writeDayOutputs } from "../oracle/agents/day-output";
import type { World } from "../oracle/agents/world";
import { formatCivilDate, parseCivilDate, readLoadProfile } from "../oracle/market/profiles";
import {
  numberOption,
  runCommand,
  stringOption,
  UsageError,
  type CommandLine,
  type CommandSpec,
  type NumberRule,
} from "./cli";

const ROOT = resolve(__dirname, "..");
/** The data the project ships: case files and BDEW load profiles (each folder's README gives source and licence). */
const CASES = join(ROOT, "cases");
const MATPOWER_CASES = join(ROOT, "cases", "matpower");
const PROFILES = join(ROOT, "data", "profiles");
export const DEFAULT_CASE = "seed34";
export const DEFAULT_PROFILE = "g25";
export const DEFAULT_SEED = "gridswap";

export const SIMULATE_COMMAND: CommandSpec = {
  name: "simulate",
  usage:
    "usage: npm run simulate -- [<case>] [--date YYYY-MM-DD] [--start HH:MM] [--periods N] [--profile g25|h25|FILE] " +
    "[--pv-peak-mw X] [--latitude DEG] [--longitude DEG] [--utc-offset H] [--clouds 0..1] [--generators N] [--seed S] " +
    "[--congested-lines K] [--limit-fraction F] [--bids] [--rpc URL --deployment FILE] [--out DIR] [--json]",
  options: {
    date: {
      type: "string",
      value: "YYYY-MM-DD",
      help: "the day; its month and day type pick the profile column (default 2026-06-15, a Monday)",
    },
    start: { type: "string", value: "HH:MM", help: "local time of the first period (default 00:00)" },
    periods: { type: "string", value: "N", help: "how many periods (default 48: a day of 30-minute periods)" },
    profile: {
      type: "string",
      value: "g25|h25|FILE",
      help: `BDEW load profile: g25 commerce (default), h25 households (data/profiles), or a file in that layout`,
    },
    "pv-peak-mw": { type: "string", value: "MW", help: "total PV rating (default: the case's PV units, or none)" },
    latitude: { type: "string", value: "DEG", help: "PV site latitude (default 52.5, Berlin)" },
    longitude: { type: "string", value: "DEG", help: "PV site longitude (default 13.4)" },
    "utc-offset": {
      type: "string",
      value: "H",
      help: "local time = UTC + H (default: Central European Time, summer time)",
    },
    clouds: { type: "string", value: "0..1", help: "mean cloud cover, 0 clear … 1 overcast (default 0.3)" },
    generators: {
      type: "string",
      value: "N",
      help: "generator agents = market units (default: every redispatch unit, at most 10)",
    },
    seed: {
      type: "string",
      value: "S",
      help: `everything random — clouds, costs, behaviours — comes from it (default ${DEFAULT_SEED})`,
    },
    "congested-lines": {
      type: "string",
      value: "K",
      help: "case without operation data: how many of the most loaded lines get a limit (default 5)",
    },
    "limit-fraction": {
      type: "string",
      value: "F",
      help: "case without operation data: the limit as a fraction of the peak flow (default 0.9)",
    },
    bids: {
      type: "boolean",
      help: "sealed bids (docs/bids.md): a bid book, and every generator bids from a policy drawn from the seed",
    },
    rpc: {
      type: "string",
      value: "URL",
      help: "run on a development node (hardhat node, Anvil) instead of the in-process chain",
    },
    deployment: {
      type: "string",
      value: "FILE",
      help: "with --rpc: where the deployment is written, for the dashboard and tasks",
    },
    out: { type: "string", value: "DIR", help: "output directory (default out/<case>-<date>/)" },
    json: { type: "boolean", help: "print summary.json on one line instead of the text summary; no progress bar" },
  },
  positionals: {
    min: 0,
    max: 1,
    name: "case",
    help: `a case file (.json, MATPOWER .m) or a shipped case's name: seed34 (default), seed34-radial, wscc9, case118, …`,
  },
};

/** A bad value: one line on stderr (no usage line: the flag was understood, its value is wrong). */
class InputError extends Error {}

/** A number option; a bad value is an InputError naming the flag. */
function number(line: CommandLine, name: string, rule: NumberRule, fallback?: number): number | undefined {
  try {
    return numberOption(line, name, rule, fallback);
  } catch (e) {
    throw e instanceof UsageError ? new InputError(e.message) : e;
  }
}

/** `--start HH:MM` (local time) → the index of the period it begins, counted from midnight. */
function startPeriod(text: string | undefined, periodMinutes: number): number {
  if (text === undefined) return 0;
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) >= 60 || minutes >= 1440 || minutes % periodMinutes !== 0) {
    throw new InputError(
      `--start must be a local time HH:MM at the start of a ${periodMinutes}-minute period, got '${text}'`,
    );
  }
  return minutes / periodMinutes;
}

/** A bare name (no directory, no extension): a shipped file is looked for. */
const bareName = (arg: string): boolean => !/[/\\]/.test(arg) && !/\.[A-Za-z]+$/.test(arg);

/** A case file, or the name of a case the project ships: cases/<name>.json or cases/matpower/<name>.m. */
export function resolveCasePath(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  if (bareName(arg)) {
    for (const candidate of [join(CASES, `${arg}.json`), join(MATPOWER_CASES, `${arg}.m`)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new InputError(`no case file '${arg}' (nor a shipped case: cases/${arg}.json, cases/matpower/${arg}.m)`);
}

/** A profile file, or the name of a BDEW profile the project ships (g25 → data/profiles/bdew-g25.csv). */
export function resolveProfilePath(arg: string): string {
  if (existsSync(arg) || !bareName(arg)) return arg;
  const shipped = join(PROFILES, `bdew-${arg.toLowerCase()}.csv`);
  return existsSync(shipped) ? shipped : arg;
}

async function main(line: CommandLine): Promise<number> {
  const json = line.values.json === true;
  const casePath = resolveCasePath(line.positionals[0] ?? DEFAULT_CASE);
  let date;
  try {
    date = parseCivilDate(stringOption(line, "date") ?? "2026-06-15");
  } catch (e) {
    throw new InputError(`--date: ${(e as Error).message}`);
  }
  const periods = number(line, "periods", { integer: true, positive: true }, 48) as number;
  const profile = readLoadProfile(resolveProfilePath(stringOption(line, "profile") ?? DEFAULT_PROFILE));
  const rpc = stringOption(line, "rpc");
  const deployment = stringOption(line, "deployment");
  if (deployment !== undefined && rpc === undefined) {
    throw new InputError("--deployment needs --rpc (the in-process chain ends with the command)");
  }
  if (rpc !== undefined && deployment === undefined) {
    throw new InputError("--rpc needs --deployment FILE (where the deployment is written for other tools)");
  }
  const c = loadCase(casePath);
  const out = resolve(stringOption(line, "out") ?? join("out", `${c.name}-${formatCivilDate(date)}`));
  const start = startPeriod(stringOption(line, "start"), c.operation?.periodMinutes ?? 30);
  // Connected only once every input has been checked (the Hardhat runtime takes a few seconds to load).
  const chain = rpc ? () => nodeChain(rpc, deployment as string) : inProcessChain;

  const logLines: string[] = [];
  const bar = !json && process.stdout.isTTY ? progressBar(periods) : undefined;
  let day: DayResult;
  try {
    const config: DayConfig = {
      case: c,
      date,
      start,
      periods,
      profile,
      pv: {
        peakMW: number(line, "pv-peak-mw", { min: 0 }),
        latitude: number(line, "latitude", { min: -90, max: 90 }, 52.5) as number,
        longitude: number(line, "longitude", { min: -180, max: 180 }, 13.4) as number,
        clouds: number(line, "clouds", { min: 0, max: 1 }, 0.3) as number,
      },
      utcOffsetHours: number(line, "utc-offset", { min: -12, max: 14 }),
      generators: number(line, "generators", { integer: true, positive: true }),
      congestedLines: number(line, "congested-lines", { integer: true, positive: true }),
      limitFraction: number(line, "limit-fraction", { positive: true, max: 1 }),
      seed: stringOption(line, "seed") ?? DEFAULT_SEED,
      bids: line.values.bids === true,
      chain,
      log: (l) => logLines.push(l),
      onPeriod: (_record, p) =>
        bar?.update(p.done, {
          congested: p.congested,
          cleared: p.clearedByPlan,
          over: p.overAsDelivered,
          usd: p.usdPaid.toFixed(2),
        }),
    };
    day = await simulateDay(config);
  } finally {
    bar?.stop();
  }
  const written = await writeDayOutputs(day, out, logLines);
  process.stdout.write(json ? `${JSON.stringify(day.summary)}\n` : `${describe(day.summary, written.dir)}\n`);
  return 0;
}

function progressBar(total: number): SingleBar {
  const bar = new SingleBar({
    format:
      "period {value}/{total} |{bar}| congested {congested}, cleared by plan {cleared}, over as delivered {over} | " +
      "paid {usd} USD | ETA {eta_formatted}",
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 8,
  });
  bar.start(total, 0, { congested: 0, cleared: 0, over: 0, usd: "0.00" });
  return bar;
}

async function inProcessChain(): Promise<ChainSpec> {
  // Loaded only here: the Hardhat runtime (its config, the in-process network) is not needed with --rpc.
  const hre = (await import("hardhat")).default;
  const [funder] = await hre.ethers.getSigners();
  return { provider: hre.ethers.provider as unknown as ChainSpec["provider"], funder };
}

async function nodeChain(url: string, deploymentPath: string): Promise<ChainSpec> {
  // cacheTimeout -1: ethers otherwise answers an identical request (a nonce) made within 250 ms from cache.
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  let chainId: bigint;
  try {
    chainId = (await provider.getNetwork()).chainId;
  } catch (e) {
    throw new InputError(`--rpc ${url}: no answer (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    const latest = await provider.getBlock("latest");
    await provider.send("evm_setNextBlockTimestamp", [(latest?.timestamp ?? 0) + 1]);
  } catch {
    throw new InputError(`--rpc ${url}: the node cannot move time (evm_setNextBlockTimestamp): use a development node`);
  }
  let funder: Signer;
  if (process.env.PRIVATE_KEY) funder = new Wallet(process.env.PRIVATE_KEY, provider);
  else {
    const accounts = (await provider.send("eth_accounts", [])) as string[];
    if (accounts.length === 0) {
      throw new InputError(`--rpc ${url}: the node holds no unlocked account; set PRIVATE_KEY to a funded key`);
    }
    funder = await provider.getSigner(accounts[0]);
  }
  const path = resolve(deploymentPath);
  const { writeDeployment } = await import("../oracle/chain/deployments");
  return {
    provider,
    funder,
    onDeployed: async (world: World) => {
      writeDeployment(
        {
          network: `simulate@${url}`,
          chainId: Number(chainId),
          deployedAt: new Date().toISOString(),
          deployBlock: world.deployBlock,
          periodSeconds: world.periodSeconds,
          addresses: {
            ...(Object.fromEntries(
              Object.entries(world.contracts).map(([name, contract]) => [name, String(contract.target)]),
            ) as Record<keyof World["contracts"], string>),
            ...(world.bidBook && { bids: String(world.bidBook.book.target) }),
          },
        },
        path,
      );
    },
  };
}

/** The text summary: what the plan found and did, what the market traded and settled, and the grid as delivered. */
export function describe(s: DaySummary, dir: string): string {
  const n = (x: number | null, digits = 2): string =>
    x === null ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: digits });
  const inside = relative(process.cwd(), dir);
  const where = inside === "" ? "." : inside.startsWith("..") ? dir : inside;
  const planned =
    s.congestedPeriods === 0
      ? `no line over its limit in any of the ${s.periods} periods: nothing to redispatch`
      : `congestion in ${s.congestedPeriods} of ${s.periods} periods (${spans(s.congested)}: lines ` +
        `${s.congestedLines.join(", ")}); the redispatch plan clears ${s.clearedByPlanPeriods} of them` +
        (s.unmetLimits > 0 ? `, ${s.unmetLimits} limit(s) it cannot meet` : "");
  const market =
    s.offers === 0
      ? "no offers posted, no trades"
      : `${n(s.offers, 0)} offer(s) posted for ${n(s.offeredUsd, 4)} USD; ${n(s.trades, 0)} filled (${n(s.kwhFilled, 3)} kWh); ` +
        `settled: ${n(s.usdPaid, 8)} USD paid, ${n(s.kwhMoved, 3)} kWh to the centre (${n(s.kwhPenalty, 3)} as penalty), ` +
        `${n(s.openPositions, 0)} open`;
  const shortfalls = s.shortfalls.map(
    (g) => `node ${g.node} delivered ${n(g.deliveredKwh, 3)} of ${n(g.committedKwh, 3)} kWh committed`,
  );
  const ratio = `delivery ratio ${n(s.deliveryRatio, 4)}${shortfalls.length > 0 ? ` (${shortfalls.join("; ")})` : ""}`;
  const delivered =
    s.overLimitAsDeliveredPeriods === 0
      ? `every line within its limits in all ${s.periods} periods; ${ratio}`
      : `${s.overLimitAsDeliveredPeriods} period(s) still over a limit — ` +
        `${s.overLimitAsDelivered.map((p) => `${p.localTime} ${p.lines.join(", ")}`).join("; ")}; ` +
        `${s.clearedAsDeliveredPeriods} of ${s.congestedPeriods} congested period(s) cleared; ${ratio}`;
  const b = s.bids;
  const bids = b && [
    `bids:         ${b.bidders} bidder(s) (${b.strategicBidders} strategic); ${n(b.sealed, 0)} sealed, ${n(b.revealed, 0)} revealed; ` +
      `${n(b.steps, 0)} step(s) selected for ${n(b.selectedKwh, 3)} kWh, paying ${n(b.selectedUsd, 4)} USD (${b.pricingRule ?? "–"}); ` +
      `pay-as-bid ${n(b.payAsBidUsd, 4)} USD, nodal ${n(b.nodalUsd, 4)} USD; reserved offers filled: ${n(b.reservedFilledKwh, 3)} kWh`,
  ];
  return [
    `${s.case} on ${s.date} (${s.dayTypes.join(", ")}), ${s.periods} periods, profile ${s.profile}, seed '${s.seed}': ` +
      `written to ${where}`,
    `planned:      ${planned}; voltage outside its band in ${s.voltagePeriods} period(s)`,
    `market:       ${market}`,
    ...(bids ?? []),
    `as delivered: ${delivered}`,
    `cost:         redispatch ${n(s.redispatchCostUsd, 4)} USD at the bids; gas ${n(s.gasTotal, 0)} ` +
      `(${n(s.gasPerTrade, 0)} per trade; setup ${n(s.gasSetup, 0)}); conservation ` +
      `${s.conservation ? (s.conservation.ok ? "holds" : "VIOLATED") : "–"}; wall ${n(s.wallSeconds, 1)} s`,
  ].join("\n");
}

/** Periods as runs of consecutive ones: "10:30–11:30, 14:00". */
function spans(periods: DaySummary["congested"]): string {
  const runs: { first: string; last: string; index: number }[] = [];
  for (const p of periods) {
    const run = runs[runs.length - 1];
    if (run && p.index === run.index + 1) {
      run.last = p.localTime;
      run.index = p.index;
    } else runs.push({ first: p.localTime, last: p.localTime, index: p.index });
  }
  return runs.map((r) => (r.first === r.last ? r.first : `${r.first}–${r.last}`)).join(", ");
}

if (require.main === module) runCommand(SIMULATE_COMMAND, main);
