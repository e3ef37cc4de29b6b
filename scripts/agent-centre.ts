/**
 * The power quality centre as a standalone process, on any JSON-RPC endpoint. It holds no oracle
 * key: it proposes each report to the oracle operators (agent:oracle, docs/oracle.md), which check
 * and sign it, and relays it once k of them have.
 *
 *   RPC_URL=http://127.0.0.1:8545 CENTRE_KEY=0x… npm run agent:centre -- \
 *     --oracle http://127.0.0.1:8601 --oracle http://127.0.0.1:8602 --oracle http://127.0.0.1:8603
 *
 * Each step (CentreAgent.step) runs the period that contains the chain's current time: study the
 * next period, propose the report (the measurements k operators agree on, the study with its
 * inputs) after the reading grace time, relay it (settling what is final in the same
 * transaction), settle and unwind the rest, fund and post the next period's signed offers. Steps
 * are idempotent: the loop steps every interval, and a restart resumes from chain state and the
 * agent's state file.
 *
 * Environment: RPC_URL; CENTRE_KEY (or CENTRE_KEYSTORE + CENTRE_PASSWORD).
 */
import { join } from "node:path";
import { attachBidBook } from "../oracle/chain/deployments";
import { CentreAgent, type CentreStep } from "../oracle/agents/centre";
import { fault } from "../oracle/agents/failpoints";
import { HttpOperatorClient, waitForOperators } from "../oracle/agents/oracle/http";
import { ConfigurationError } from "../oracle/chain/errors";
import {
  agentOptions,
  caseOption,
  connectOnce,
  DEFAULT_DEPLOYMENT,
  leaseOf,
  logger,
  runAgentLoop,
} from "./agent-common";
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

export const CENTRE_COMMAND: CommandSpec = {
  name: "agent:centre",
  usage:
    "usage: npm run agent:centre -- --oracle <url> [--oracle <url> ...] [--deployment <file>] [--case <case.json>] " +
    "[--forecast BUS=MW ...] [--baseline nominated|rolling|meter-before] [--baseline-days N] " +
    "[--reading-grace-seconds S] [--state <file>] [--once | --interval-seconds <s>] [--verbose] [--json]",
  options: {
    oracle: {
      type: "string",
      multiple: true,
      value: "URL",
      help: "an oracle operator's endpoint (agent:oracle --listen); one per operator, at least the oracle's threshold",
    },
    "reading-grace-seconds": {
      type: "string",
      value: "S",
      help: "seconds after a period's end that meter readings may take to arrive: the report waits for them (default a tenth of a period, at most 120)",
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
    refusals: step.refusals.length,
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

async function main(line: CommandLine): Promise<number> {
  const urls = stringOptions(line, "oracle");
  if (urls.length === 0) {
    throw new UsageError(
      "no oracle operator: give --oracle <url> once per operator (agent:oracle --listen; docs/oracle.md) — " +
        "the centre holds no oracle key",
    );
  }
  const operators = urls.map((url) => {
    try {
      return new HttpOperatorClient(url);
    } catch (e) {
      throw new UsageError(`--oracle ${(e as Error).message}`);
    }
  });
  const once = line.values.once === true;
  if (once && line.values["interval-seconds"] !== undefined) {
    throw new UsageError("--once and --interval-seconds exclude each other");
  }
  const intervalSeconds = numberOption(line, "interval-seconds", { positive: true }, 30) as number;
  const method = choiceOption(line, "baseline", ["nominated", "rolling", "meter-before"] as const, "nominated");
  const days = numberOption(line, "baseline-days", { integer: true, min: 1, max: 10 }, 5) as number;
  const forecasts = parseForecastOptions(line);
  const grace = numberOption(line, "reading-grace-seconds", { integer: true, min: 0 });
  const { powerCase: c, caseText } = caseOption(line);
  const deployment = stringOption(line, "deployment") ?? DEFAULT_DEPLOYMENT;
  const log = logger("agent:centre");
  const json = line.values.json === true;

  const connect = connectOnce(deployment, "CENTRE", log);
  return runAgentLoop(
    { name: "agent:centre", once, intervalSeconds, log, lease: () => leaseOf(connect) },
    async () => {
      const { rpc, file, contracts, wallet: centre } = await connect();
      const agent = new CentreAgent({
        contracts,
        deployBlock: file.deployBlock,
        centre,
        operators,
        case: c,
        caseText,
        // A deployment with a bid book (gridswap:deploy --bids): studies price the units with the revealed bids.
        bids: attachBidBook(file.addresses, rpc.provider),
        forecasts: () => ({ generation: forecasts }),
        readingGraceSeconds: grace,
        // Fault tests only (GRIDSWAP_FAULT): a dishonest centre that proposes every delivery as nothing moved.
        tamper: fault("centre:zero-delivery")
          ? (report) => ({
              ...report,
              measurements: report.measurements.map((m) => ({ ...m, actualWh: m.baselineWh, deliveredWh: 0n })),
            })
          : undefined,
        baseline: {
          method: method === "rolling" ? "RollingAverage" : method === "meter-before" ? "MeterBefore" : "Nominated",
          days,
        },
        exclusiveKey: true,
        statePath:
          stringOption(line, "state") ??
          join(".gridswap", `centre-${rpc.chainId}-${file.addresses.market}-${centre.address}.json`),
        log,
      });
      await agent.prepare();
      if (fault("centre:zero-delivery")) log("FAULT TEST: this centre proposes every delivery as nothing moved");
      // Operators started beside the centre may still be coming up: wait for a quorum to answer.
      await waitForOperators(operators, Number(await contracts.oracle.threshold()), 180_000, log);
      log(
        `centre ${centre.address} on chain ${rpc.chainId} (${rpc.url}), market ${file.addresses.market}, ` +
          `${file.periodSeconds}-s periods, operators: ${operators.map((o) => o.name).join(", ")}`,
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
