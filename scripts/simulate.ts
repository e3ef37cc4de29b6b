/**
 * A day on the grid (issue #13): every market period of a date runs the whole market on a chain.
 *
 *   npm run simulate -- <case> [--date 2026-06-15] [--start 00:00] [--periods 48] [--profile FILE] [--pv-peak-mw X]
 *                      [--latitude 52.5] [--longitude 13.4] [--utc-offset H] [--clouds 0..1]
 *                      [--generators N] [--seed S] [--congested-lines K] [--limit-fraction F]
 *                      [--rpc URL --deployment FILE] [--out DIR] [--json]
 *
 * <case>: a case file (.json or MATPOWER .m), or a bare name found in cases/ or ../shared/matpower/cases.
 * Default chain: Hardhat's in-process network; --rpc runs on a development node (hardhat node,
 * Anvil) with the funder PRIVATE_KEY or the node's first unlocked account, and writes the
 * deployment to --deployment as soon as GridSwap is deployed (for the dashboard and tasks).
 * Writes --out (default out/<case>-<date>/): summary.json, periods.json, periods.csv, plots (SVG),
 * report.html, case.json, market.log. A progress bar on a terminal, unless --json.
 * Exit status: 0 done; 1 bad input or failure — one line on stderr, nothing written to --out.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
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
const DEFAULT_PROFILE = resolve(ROOT, "../shared/profiles/bdew-h25.csv");

export const SIMULATE_COMMAND: CommandSpec = {
  name: "simulate",
  usage:
    "usage: npm run simulate -- <case> [--date YYYY-MM-DD] [--start HH:MM] [--periods N] [--profile FILE] [--pv-peak-mw X] " +
    "[--latitude DEG] [--longitude DEG] [--utc-offset H] [--clouds 0..1] [--generators N] [--seed S] " +
    "[--congested-lines K] [--limit-fraction F] [--rpc URL --deployment FILE] [--out DIR] [--json]",
  options: {
    date: { type: "string" },
    start: { type: "string" },
    periods: { type: "string" },
    profile: { type: "string" },
    "pv-peak-mw": { type: "string" },
    latitude: { type: "string" },
    longitude: { type: "string" },
    "utc-offset": { type: "string" },
    clouds: { type: "string" },
    generators: { type: "string" },
    seed: { type: "string" },
    "congested-lines": { type: "string" },
    "limit-fraction": { type: "string" },
    rpc: { type: "string" },
    deployment: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  },
  positionals: { min: 1, max: 1, name: "case" },
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

/** A case file, or a bare name in cases/ (JSON) or ../shared/matpower/cases (MATPOWER). */
export function resolveCasePath(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  if (!/[/\\]/.test(arg) && !/\.(m|json)$/.test(arg)) {
    for (const candidate of [join(ROOT, "cases", `${arg}.json`), join(ROOT, "../shared/matpower/cases", `${arg}.m`)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new InputError(`no case file '${arg}' (nor cases/${arg}.json or ../shared/matpower/cases/${arg}.m)`);
}

async function main(line: CommandLine): Promise<number> {
  const json = line.values.json === true;
  const casePath = resolveCasePath(line.positionals[0]);
  let date;
  try {
    date = parseCivilDate(stringOption(line, "date") ?? "2026-06-15");
  } catch (e) {
    throw new InputError(`--date: ${(e as Error).message}`);
  }
  const periods = number(line, "periods", { integer: true, positive: true }, 48) as number;
  const profile = readLoadProfile(stringOption(line, "profile") ?? DEFAULT_PROFILE);
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
      seed: stringOption(line, "seed") ?? "gridswap",
      chain,
      log: (l) => logLines.push(l),
      onPeriod: (_record, p) =>
        bar?.update(p.done, {
          congested: p.congested,
          cleared: p.cleared,
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
      "period {value}/{total} |{bar}| congested {congested}, cleared {cleared} | paid {usd} USD | ETA {eta_formatted}",
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 8,
  });
  bar.start(total, 0, { congested: 0, cleared: 0, usd: "0.00" });
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
          addresses: Object.fromEntries(
            Object.entries(world.contracts).map(([name, contract]) => [name, String(contract.target)]),
          ) as Record<keyof World["contracts"], string>,
        },
        path,
      );
    },
  };
}

function describe(s: DaySummary, dir: string): string {
  const n = (x: number | null, digits = 2): string =>
    x === null ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: digits });
  return [
    `${s.case} on ${s.date} (${s.dayTypes.join(", ")}), ${s.periods} periods, seed '${s.seed}': written to ${dir}`,
    `congestion in ${s.congestedPeriods} period(s), cleared in ${s.clearedPeriods}; ${s.unmetLimits} unmet limit(s); ` +
      `voltage outside its band in ${s.voltagePeriods} period(s)`,
    `redispatch cost ${n(s.redispatchCostUsd, 4)} USD; offered ${n(s.offeredUsd, 4)} USD; paid ${n(s.usdPaid, 8)} USD ` +
      `for ${n(s.kwhMoved, 3)} kWh (delivery ratio ${n(s.deliveryRatio, 4)}, ${n(s.trades, 0)} trades, ${n(s.openPositions, 0)} open)`,
    `gas ${n(s.gasTotal, 0)} (${n(s.gasPerTrade, 0)} per trade; setup ${n(s.gasSetup, 0)}); ` +
      `conservation ${s.conservation ? (s.conservation.ok ? "holds" : "VIOLATED") : "–"}; wall ${n(s.wallSeconds, 1)} s`,
  ].join("\n");
}

if (require.main === module) runCommand(SIMULATE_COMMAND, main);
