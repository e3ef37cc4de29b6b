/**
 * A generator's wallet as a standalone process, on any JSON-RPC endpoint:
 *
 *   RPC_URL=http://127.0.0.1:8545 GENERATOR_KEY=0x… \
 *     npm run agent:generator -- --node 27 --cost 0.01 [--margin 0.002] --capacity 50 --planned-mw 0.3
 *
 * Each poll reads the bulletin board from the last block read, decides every offer for its node by
 * its policy (the offer pays at least cost + margin USD/kWh; it fits the capacity left in its
 * delivery period; no opposite commitment or other centre in that period), fills with its kWh
 * commitment from the market's vault (depositing from the wallet when short) and its nomination —
 * its planned output, the baseline its meter is measured against — confirms the fill on chain,
 * and logs every decision, payment and penalty once.
 *
 * On a deployment with a bid book (gridswap:deploy --bids), --bid-up and/or --bid-down make it bid
 * sealed for every coming period (docs/bids.md): it commits before each bid gate, reveals in the
 * window after it, and fills the offers reserved for it in periods its bid was selected in as bid.
 *
 * Environment: RPC_URL; GENERATOR_KEY (or GENERATOR_KEYSTORE + GENERATOR_PASSWORD).
 */
import { join } from "node:path";
import { GeneratorAgent } from "../oracle/agents/generator";
import { checkPolicy, type GeneratorPolicy } from "../oracle/chain/fill-rule";
import { checkBidPolicy, type BidPolicy } from "../oracle/agents/bidding";
import { attachBidBook } from "../oracle/chain/deployments";
import { ConfigurationError } from "../oracle/chain/errors";
import { agentOptions, connectOnce, DEFAULT_DEPLOYMENT, leaseOf, logger, runAgentLoop } from "./agent-common";
import { numberOption, runCommand, stringOption, UsageError, type CommandLine, type CommandSpec } from "./cli";

export const GENERATOR_COMMAND: CommandSpec = {
  name: "agent:generator",
  usage:
    "usage: npm run agent:generator -- --node <bus> --cost <USD/kWh> [--margin <USD/kWh>] --capacity <kWh> --planned-mw <MW> " +
    "[--bid-up <USD/MWh>] [--bid-down <USD/MWh>] [--bid-markup <fraction>] [--bid-steps <1-4>] [--bid-periods <1-48>] " +
    "[--deployment <file>] [--state <file>] [--once | --interval-seconds <s>] [--verbose] [--json]",
  options: {
    node: { type: "string", value: "BUS", help: "required: the grid node the wallet is registered at" },
    cost: { type: "string", value: "USD/kWh", help: "required: the unit's cost of moving its output" },
    margin: { type: "string", value: "USD/kWh", help: "fill only offers paying at least cost + margin (default 0)" },
    capacity: { type: "string", value: "kWh", help: "required: the most it commits per delivery period" },
    "planned-mw": {
      type: "string",
      value: "MW",
      help: "required: its planned output without trades, nominated as its baseline (≤ its registered capacity)",
    },
    "bid-up": { type: "string", value: "USD/MWh", help: "bid sealed: the price asked to raise output" },
    "bid-down": { type: "string", value: "USD/MWh", help: "bid sealed: the price asked to lower output" },
    "bid-markup": { type: "string", value: "FRACTION", help: "asks this much more than the bid prices (default 0)" },
    "bid-steps": { type: "string", value: "1-4", help: "steps per direction, each 20 % dearer (default 2)" },
    "bid-periods": {
      type: "string",
      value: "1-48",
      help: "periods one bid covers: committed and revealed once for the range (default 1)",
    },
    ...agentOptions({
      state: ".gridswap/generator-<chain>-<market>-<wallet>.json",
      step: "poll",
      intervalSeconds: 15,
      json: "filled, rejected, missed, settled, unwound",
    }),
  },
};

function required(line: CommandLine, name: string): void {
  if (line.values[name] === undefined) throw new UsageError(`--${name} is required`);
}

/** The bid policy of --bid-* (undefined without --bid-up and --bid-down), checked. */
function bidOptions(line: CommandLine): BidPolicy | undefined {
  const price = { positive: true, what: "a number of USD/MWh > 0" };
  const upUsdPerMWh = numberOption(line, "bid-up", price);
  const downUsdPerMWh = numberOption(line, "bid-down", price);
  const markup = numberOption(line, "bid-markup", { min: 0, what: "a fraction ≥ 0" });
  const steps = numberOption(line, "bid-steps", { integer: true, min: 1, max: 4, what: "1, 2, 3 or 4" });
  const rangePeriods = numberOption(line, "bid-periods", { integer: true, min: 1, max: 48, what: "1 to 48 periods" });
  if (upUsdPerMWh === undefined && downUsdPerMWh === undefined) {
    if (markup !== undefined || steps !== undefined || rangePeriods !== undefined)
      throw new UsageError("--bid-markup, --bid-steps and --bid-periods need --bid-up or --bid-down");
    return undefined;
  }
  return checkBidPolicy({ upUsdPerMWh, downUsdPerMWh, markup, steps, rangePeriods });
}

async function main(line: CommandLine): Promise<number> {
  for (const flag of ["node", "cost", "capacity", "planned-mw"]) required(line, flag);
  const node = numberOption(line, "node", {
    integer: true,
    min: 1,
    what: "a bus number (a positive integer)",
  }) as number;
  const costUsdPerKwh = numberOption(line, "cost", { min: 0, what: "a number of USD/kWh ≥ 0" }) as number;
  const marginUsdPerKwh = numberOption(line, "margin", { min: 0, what: "a number of USD/kWh ≥ 0" }, 0) as number;
  const capacityKwh = numberOption(line, "capacity", { positive: true, what: "a number of kWh > 0" }) as number;
  const plannedMW = numberOption(line, "planned-mw", { min: 0, what: "a number of MW ≥ 0" }) as number;
  const bid = bidOptions(line);
  const once = line.values.once === true;
  if (once && line.values["interval-seconds"] !== undefined) {
    throw new UsageError("--once and --interval-seconds exclude each other");
  }
  const intervalSeconds = numberOption(line, "interval-seconds", { positive: true }, 15) as number;
  const deployment = stringOption(line, "deployment") ?? DEFAULT_DEPLOYMENT;
  const log = logger("agent:generator");
  const json = line.values.json === true;
  const connect = connectOnce(deployment, "GENERATOR", log);
  return runAgentLoop(
    { name: "agent:generator", once, intervalSeconds, log, lease: () => leaseOf(connect) },
    async () => {
      const { rpc, file, contracts, wallet } = await connect();
      const [registeredNode, , capacityW] = await contracts.registry.generatorOf(wallet.address);
      const registered = Number(registeredNode);
      if (registered === 0) {
        throw new ConfigurationError(
          `${wallet.address} is not a registered generator (ask the registrar: gridswap:register)`,
        );
      }
      if (registered !== node) {
        throw new ConfigurationError(`--node ${node}, but ${wallet.address} is registered at node ${registered}`);
      }
      if (plannedMW * 1e6 > Number(capacityW)) {
        throw new ConfigurationError(
          `--planned-mw ${plannedMW} is above ${wallet.address}'s registered capacity of ${Number(capacityW) / 1e6} MW`,
        );
      }
      const policy: GeneratorPolicy = checkPolicy({
        address: wallet.address,
        node,
        costUsdPerKwh,
        marginUsdPerKwh,
        capacityKwh,
        plannedMW,
      });
      const book = attachBidBook(file.addresses, rpc.provider);
      if (bid && !book)
        throw new ConfigurationError(`${deployment} has no bid book: deploy one (gridswap:deploy --bids) to bid`);
      if (bid) log(`bids sealed for every coming period: ${JSON.stringify(bid)} (USD/MWh)`);
      log(
        `generator ${wallet.address} at node ${node} on chain ${rpc.chainId} (${rpc.url}): fills offers paying ≥ ` +
          `${costUsdPerKwh + marginUsdPerKwh} USD/kWh, up to ${capacityKwh} kWh per period, nominating ${plannedMW} MW`,
      );
      return new GeneratorAgent({
        contracts,
        deployBlock: file.deployBlock,
        wallet,
        policy,
        bids: bid && book ? { book, policy: bid } : undefined,
        exclusiveKey: true,
        statePath:
          stringOption(line, "state") ??
          join(".gridswap", `generator-${rpc.chainId}-${file.addresses.market}-${wallet.address}.json`),
        log,
      });
    },
    async (agent) => {
      const poll = await agent.poll();
      if (json) {
        process.stdout.write(
          `${JSON.stringify({
            filled: poll.filled.map((f) => ({
              offerHash: f.offerHash,
              period: f.fill.period,
              wh: String(f.fill.amountWh),
            })),
            rejected: poll.rejected,
            missed: poll.missed,
            settled: poll.settled.map((s) => s.period),
            unwound: poll.unwound.map((u) => u.period),
          })}\n`,
        );
      } else if (line.values.verbose) log("poll done");
    },
  );
}

if (require.main === module) {
  runCommand(GENERATOR_COMMAND, async (line) => {
    try {
      return await main(line);
    } catch (e) {
      if (e instanceof ConfigurationError) throw new UsageError(e.message);
      throw e;
    }
  });
}
