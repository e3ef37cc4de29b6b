/**
 * One oracle operator as a standalone process (docs/oracle.md): its own key, its own RPC endpoint,
 * its own meter data. It serves its signing endpoint to proposers and, on its own, stands in for a
 * report that does not come and corrects what late readings and disputes allow.
 *
 *   RPC_URL=http://127.0.0.1:8545 ORACLE_KEY=0x… npm run agent:oracle -- \
 *     --meters-url http://127.0.0.1:8701/readings --listen 127.0.0.1:8601 \
 *     --peer http://127.0.0.1:8602 --peer http://127.0.0.1:8603
 *
 * Environment: RPC_URL; ORACLE_KEY (or ORACLE_KEYSTORE + ORACLE_PASSWORD) — one of the oracle's
 * signers, funded with gas for the reports and corrections it relays.
 */
import { join } from "node:path";
import { attachBidBook } from "../oracle/chain/deployments";
import { defaultReadingGrace } from "../oracle/agents/centre";
import { FileMeterSource, HttpMeterSource, type MeterSource } from "../oracle/agents/metering";
import { OperatorDuties, type DutiesTick } from "../oracle/agents/oracle/duties";
import { HttpOperatorClient, serveOperator } from "../oracle/agents/oracle/http";
import { OracleOperator } from "../oracle/agents/oracle/operator";
import { CommittedDeliveryMeters } from "../oracle/agents/simulation";
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
  numberOption,
  runCommand,
  stringOption,
  stringOptions,
  UsageError,
  type CommandLine,
  type CommandSpec,
} from "./cli";

/** Chains where unsigned or simulated meter data may be accepted: Hardhat's and Anvil's. */
const DEVNET_CHAINS = [31337n, 1337n];

export const ORACLE_COMMAND: CommandSpec = {
  name: "agent:oracle",
  usage:
    "usage: npm run agent:oracle -- (--meters <dir|file> | --meters-url <url> | --simulate-meters [--delivery NODE=FRACTION ...]) " +
    "[--listen HOST:PORT] [--peer <url> ...] [--deployment <file>] [--case <case.json>] [--reading-grace-seconds S] " +
    "[--stand-in-after-seconds S] [--no-stand-in] [--insecure-unsigned-readings] [--state <file>] " +
    "[--once | --interval-seconds <s>] [--verbose]",
  options: {
    meters: {
      type: "string",
      value: "DIR|FILE",
      help: "this operator's meter readings: CSV/JSON files (docs/metering.md)",
    },
    "meters-url": { type: "string", value: "URL", help: "this operator's meter readings: an HTTP meter data service" },
    "simulate-meters": {
      type: "boolean",
      help: "devnets only, with --insecure-unsigned-readings: each unit's nomination plus what it committed",
    },
    delivery: {
      type: "string",
      multiple: true,
      value: "NODE=FRACTION",
      help: "with --simulate-meters: the fraction of its commitments a node's unit delivers (default 1; repeatable)",
    },
    listen: {
      type: "string",
      value: "HOST:PORT",
      help: "where to serve the signing endpoint (default 127.0.0.1:8601)",
    },
    peer: { type: "string", multiple: true, value: "URL", help: "another operator's endpoint (repeatable)" },
    case: { type: "string", value: "FILE", help: "the case the centre studies (default cases/seed34.json)" },
    "reading-grace-seconds": {
      type: "string",
      value: "S",
      help: "seconds after a period's end before a meter without a reading is MISSING (default a tenth of a period, at most 120)",
    },
    "stand-in-after-seconds": {
      type: "string",
      value: "S",
      help: "after the grace, wait this long per rank before proposing a report the centre did not make (default a tenth of a period)",
    },
    "no-stand-in": { type: "boolean", help: "never propose a report itself (only sign and correct)" },
    "insecure-unsigned-readings": {
      type: "boolean",
      help: "devnets only: accept meter readings without their meter key's signature (anyone who writes the meter data decides the measurements)",
    },
    ...agentOptions({
      state: ".gridswap/oracle-<chain>-<market>-<operator>.json",
      step: "tick",
      intervalSeconds: 10,
      json: "period, reported, corrected, gas",
    }),
  },
};

function deliveryFractions(line: CommandLine): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of stringOptions(line, "delivery")) {
    const m = /^(\d+)=(.+)$/.exec(v);
    const fraction = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(fraction) || fraction < 0)
      throw new UsageError(`--delivery must be NODE=FRACTION with FRACTION ≥ 0 (0.6 = 60 %), got '${v}'`);
    out.set(Number(m[1]), fraction);
  }
  return out;
}

function listenOption(line: CommandLine): { host: string; port: number } {
  const raw = stringOption(line, "listen") ?? "127.0.0.1:8601";
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8601), got '${raw}'`);
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port };
}

export function tickSummary(t: DutiesTick): Record<string, unknown> {
  return {
    period: t.period,
    reported: t.reported ?? null,
    corrected: t.corrected,
    gas: t.transactions.reduce((s, x) => s + Number(x.gasUsed), 0),
  };
}

async function main(line: CommandLine): Promise<number> {
  const sources = ["meters", "meters-url", "simulate-meters"].filter((k) => line.values[k] !== undefined);
  if (sources.length === 0)
    throw new UsageError(
      "no meter source: give --meters <dir|file>, --meters-url <url> (a meter data service) or, on a devnet only, " +
        "--simulate-meters --insecure-unsigned-readings (docs/metering.md)",
    );
  if (sources.length > 1)
    throw new UsageError(`give one meter source, not ${sources.map((s) => `--${s}`).join(" and ")}`);
  if (line.values.delivery !== undefined && !line.values["simulate-meters"])
    throw new UsageError("--delivery only applies with --simulate-meters");
  const insecure = line.values["insecure-unsigned-readings"] === true;
  if (line.values["simulate-meters"] && !insecure)
    throw new UsageError(
      "--simulate-meters reads unsigned simulated meters: add --insecure-unsigned-readings (devnets only)",
    );
  const once = line.values.once === true;
  if (once && line.values["interval-seconds"] !== undefined)
    throw new UsageError("--once and --interval-seconds exclude each other");
  const intervalSeconds = numberOption(line, "interval-seconds", { positive: true }, 10) as number;
  const graceFlag = numberOption(line, "reading-grace-seconds", { integer: true, min: 0 });
  const standInAfter = numberOption(line, "stand-in-after-seconds", { integer: true, min: 0 });
  const listen = listenOption(line);
  const peers = stringOptions(line, "peer").map((url) => {
    try {
      return new HttpOperatorClient(url);
    } catch (e) {
      throw new UsageError(`--peer ${(e as Error).message}`);
    }
  });
  const fractions = deliveryFractions(line);
  const { powerCase: c, caseText } = caseOption(line);
  const deployment = stringOption(line, "deployment") ?? DEFAULT_DEPLOYMENT;
  const log = logger("agent:oracle");
  const json = line.values.json === true;
  let close: (() => Promise<void>) | undefined;

  const connect = connectOnce(deployment, "ORACLE", log);
  try {
    return await runAgentLoop(
      // One process per operator key: a second one stands by (it must never sign beside the first).
      { name: "agent:oracle", once, intervalSeconds, log, lease: () => leaseOf(connect) },
      async () => {
        const { rpc, file, contracts, wallet: signer } = await connect();
        if (insecure && !DEVNET_CHAINS.includes(BigInt(rpc.chainId)))
          throw new ConfigurationError(
            `--insecure-unsigned-readings on chain ${rpc.chainId}: only devnets (31337, 1337) may take unsigned meter data`,
          );
        const grace = graceFlag ?? defaultReadingGrace(file.periodSeconds);
        let meters: MeterSource;
        const metersPath = stringOption(line, "meters");
        const metersUrl = stringOption(line, "meters-url");
        if (metersPath) meters = new FileMeterSource({ path: metersPath, periodSeconds: file.periodSeconds });
        else if (metersUrl) meters = new HttpMeterSource({ url: metersUrl, periodSeconds: file.periodSeconds });
        else
          meters = new CommittedDeliveryMeters(
            contracts,
            file.deployBlock,
            file.periodSeconds,
            (node) => fractions.get(node) ?? 1,
          );
        const operator = new OracleOperator({
          contracts,
          deployBlock: file.deployBlock,
          signer,
          case: c,
          caseText,
          bids: attachBidBook(file.addresses, rpc.provider),
          meters,
          requireSignedReadings: !insecure,
          readingGraceSeconds: grace,
          statePath:
            stringOption(line, "state") ??
            join(".gridswap", `oracle-${rpc.chainId}-${file.addresses.market}-${signer.address}.json`),
          log,
        });
        await operator.prepare();
        const served = await serveOperator(operator, { ...listen, log });
        close = served.close;
        log(
          `operator ${signer.address} on chain ${rpc.chainId} (${rpc.url}), market ${file.addresses.market}, ` +
            `serving ${served.url}, ${peers.length} peer(s), meters: ${meters.description}` +
            `${insecure ? " (UNSIGNED readings accepted: devnet only)" : ""}, reading grace ${grace} s`,
        );
        return new OperatorDuties({
          contracts,
          deployBlock: file.deployBlock,
          operator,
          peers,
          relayer: signer,
          readingGraceSeconds: grace,
          standInAfterSeconds: standInAfter,
          standIn: line.values["no-stand-in"] !== true,
          log,
        });
      },
      async (duties) => {
        const tick = await duties.tick();
        if (json) process.stdout.write(`${JSON.stringify(tickSummary(tick))}\n`);
        else if (line.values.verbose) log(`period ${tick.period}: tick done (${JSON.stringify(tickSummary(tick))})`);
      },
    );
  } finally {
    await close?.();
  }
}

if (require.main === module) {
  runCommand(ORACLE_COMMAND, async (line) => {
    try {
      return await main(line);
    } catch (e) {
      if (e instanceof ConfigurationError) throw new UsageError(e.message);
      throw e;
    }
  });
}
