/**
 * The power quality centre and its oracle as a standalone process, on any JSON-RPC endpoint:
 *
 *   RPC_URL=http://127.0.0.1:8545 CENTRE_KEY=0x… ORACLE_KEYS=0x…,0x… \
 *     npm run agent:centre -- --meters readings/ [--deployment deployments/localhost.json]
 *
 * Each step (CentreAgent.step) runs the period that contains the chain's current time: measure
 * ended periods from the meter readings, study the next period, report with k oracle signatures
 * (settling what is final in the same transaction), settle and unwind the rest, fund and post the
 * next period's signed offers. Steps are idempotent: the loop steps every interval, and a restart
 * resumes from chain state and the agent's state file.
 *
 * Environment: RPC_URL; CENTRE_KEY (or CENTRE_KEYSTORE + CENTRE_PASSWORD); ORACLE_KEYS
 * (comma-separated, at least the oracle's threshold of them) or ORACLE_KEY (or ORACLE_KEYSTORE +
 * ORACLE_PASSWORD).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCase } from "../oracle";
import { CentreAgent, type CentreStep } from "../oracle/agents/centre";
import { FileMeterSource, HttpMeterSource, type MeterSource } from "../oracle/agents/metering";
import { CommittedDeliveryMeters } from "../oracle/agents/simulation";
import { ConfigurationError } from "../oracle/chain/errors";
import { roleWallet, walletsFromList } from "../oracle/chain/wallet";
import { agentOptions, connectAgent, DEFAULT_DEPLOYMENT, logger, runAgentLoop } from "./agent-common";
import {
  choiceOption,
  numberOption,
  runCommand,
  stringOption,
  stringOptions,
  UsageError,
  type CommandLine,
  type CommandSpec,
} from "./cli";
import { parseForecastOptions } from "./period";

// The project root: one level up under ts-node, two when compiled into build/scripts (tools/run.js).
const ROOT = existsSync(join(__dirname, "..", "package.json")) ? join(__dirname, "..") : join(__dirname, "..", "..");
const DEFAULT_CASE = join(ROOT, "cases", "seed34.json");

export const CENTRE_COMMAND: CommandSpec = {
  name: "agent:centre",
  usage:
    "usage: npm run agent:centre -- (--meters <dir|file> | --meters-url <url> | --simulate-meters [--delivery NODE=FRACTION ...]) " +
    "[--deployment <file>] [--case <case.json>] [--forecast BUS=MW ...] [--baseline nominated|rolling|meter-before] " +
    "[--baseline-days N] [--signed-readings] [--state <file>] [--once | --interval-seconds <s>] [--verbose] [--json]",
  options: {
    meters: {
      type: "string",
      value: "DIR|FILE",
      help: "meter readings from CSV/JSON files (formats: docs/metering.md); one meter source is required",
    },
    "meters-url": { type: "string", value: "URL", help: "meter readings from an HTTP endpoint (docs/metering.md)" },
    "simulate-meters": {
      type: "boolean",
      help: "devnets only: meters that read each unit's schedule plus what it committed",
    },
    delivery: {
      type: "string",
      multiple: true,
      value: "NODE=FRACTION",
      help: "with --simulate-meters: the fraction of its commitments a node's unit delivers (default 1; repeatable)",
    },
    case: {
      type: "string",
      value: "FILE",
      help: "the case with operation data the centre studies (default cases/seed34.json)",
    },
    forecast: {
      type: "string",
      multiple: true,
      value: "BUS=MW",
      help: "a unit's output forecast, MW (repeatable; default: the case's schedule)",
    },
    baseline: {
      type: "string",
      value: "METHOD",
      help: "the baseline the offers name: nominated (the schedule; default), rolling or meter-before",
    },
    "baseline-days": { type: "string", value: "N", help: "days of a rolling baseline, 1–10 (default 5)" },
    "signed-readings": { type: "boolean", help: "accept only meter readings signed by each meter's registered key" },
    ...agentOptions({
      state: ".gridswap/centre-<chain>-<market>-<centre>.json",
      step: "step",
      intervalSeconds: 30,
      json: "reported, settled, posted, gas, …",
    }),
  },
};

/** A one-line record of a step, for --json. */
export function stepSummary(step: CentreStep): Record<string, unknown> {
  return {
    period: step.period,
    deliveryPeriod: step.deliveryPeriod,
    reported: step.reported,
    violations: step.study?.violations.lines.filter((v) => v.kind === "active").length ?? 0,
    measurements: step.measurements.length,
    settled: step.settled,
    unwound: step.unwound,
    posted: step.posted.map((p) => p.offerHash),
    dropped: step.dropped,
    problems: step.problems,
    gas: step.transactions.reduce((s, t) => s + Number(t.gasUsed), 0),
  };
}

/** `--delivery 27=0.6` (repeatable): the fraction of its commitments each node's unit delivers. */
function deliveryFractions(line: CommandLine): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of stringOptions(line, "delivery")) {
    const m = /^(\d+)=(.+)$/.exec(v);
    const fraction = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(fraction) || fraction < 0) {
      throw new UsageError(`--delivery must be NODE=FRACTION with FRACTION ≥ 0 (0.6 = 60 %), got '${v}'`);
    }
    out.set(Number(m[1]), fraction);
  }
  return out;
}

async function main(line: CommandLine): Promise<number> {
  const sources = ["meters", "meters-url", "simulate-meters"].filter((k) => line.values[k] !== undefined);
  if (sources.length === 0) {
    throw new UsageError(
      "no meter source: give --meters <dir|file> (CSV/JSON readings), --meters-url <url> (an HTTP endpoint) " +
        "or, on a devnet only, --simulate-meters (see docs/metering.md)",
    );
  }
  if (sources.length > 1)
    throw new UsageError(`give one meter source, not ${sources.map((s) => `--${s}`).join(" and ")}`);
  if (line.values.delivery !== undefined && !line.values["simulate-meters"]) {
    throw new UsageError("--delivery only applies with --simulate-meters");
  }
  const once = line.values.once === true;
  if (once && line.values["interval-seconds"] !== undefined) {
    throw new UsageError("--once and --interval-seconds exclude each other");
  }
  const intervalSeconds = numberOption(line, "interval-seconds", { positive: true }, 30) as number;
  const method = choiceOption(line, "baseline", ["nominated", "rolling", "meter-before"] as const, "nominated");
  const days = numberOption(line, "baseline-days", { integer: true, min: 1, max: 10 }, 5) as number;
  const forecasts = parseForecastOptions(line);
  const fractions = deliveryFractions(line);
  const casePath = stringOption(line, "case") ?? DEFAULT_CASE;
  let caseText: string;
  try {
    caseText = readFileSync(casePath, "utf8");
  } catch (e) {
    throw new UsageError(`--case ${casePath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const c = loadCase(casePath);
  const deployment = stringOption(line, "deployment") ?? DEFAULT_DEPLOYMENT;
  const log = logger("agent:centre");
  const json = line.values.json === true;

  return runAgentLoop(
    { name: "agent:centre", once, intervalSeconds, log },
    async () => {
      const { rpc, file, contracts } = await connectAgent(deployment, log);
      const centre = await roleWallet("CENTRE", rpc.provider);
      const oracleSigners = process.env.ORACLE_KEYS
        ? walletsFromList("ORACLE_KEYS", rpc.provider)
        : [await roleWallet("ORACLE", rpc.provider)];
      let meters: MeterSource;
      const metersPath = stringOption(line, "meters");
      const metersUrl = stringOption(line, "meters-url");
      if (metersPath) meters = new FileMeterSource({ path: metersPath, periodSeconds: file.periodSeconds });
      else if (metersUrl) meters = new HttpMeterSource({ url: metersUrl, periodSeconds: file.periodSeconds });
      else {
        meters = new CommittedDeliveryMeters(
          contracts,
          file.deployBlock,
          file.periodSeconds,
          (node) => fractions.get(node) ?? 1,
        );
      }
      const agent = new CentreAgent({
        contracts,
        deployBlock: file.deployBlock,
        centre,
        oracleSigners,
        case: c,
        caseText,
        forecasts: () => ({ generation: forecasts }),
        meters,
        requireSignedReadings: line.values["signed-readings"] === true,
        baseline: {
          method: method === "rolling" ? "RollingAverage" : method === "meter-before" ? "MeterBefore" : "Nominated",
          days,
        },
        statePath:
          stringOption(line, "state") ??
          join(".gridswap", `centre-${rpc.chainId}-${file.addresses.market}-${centre.address}.json`),
        log,
      });
      await agent.prepare();
      log(
        `centre ${centre.address} on chain ${rpc.chainId} (${rpc.url}), market ${file.addresses.market}, ` +
          `${file.periodSeconds}-s periods, meters: ${meters.description}`,
      );
      return agent;
    },
    async (agent) => {
      const step = await agent.step();
      if (json) process.stdout.write(`${JSON.stringify(stepSummary(step))}\n`);
      else if (line.values.verbose) log(`period ${step.period}: step done (${JSON.stringify(stepSummary(step))})`);
    },
  );
}

if (require.main === module) {
  runCommand(CENTRE_COMMAND, async (line) => {
    try {
      return await main(line);
    } catch (e) {
      if (e instanceof ConfigurationError) throw new UsageError(e.message);
      throw e;
    }
  });
}
