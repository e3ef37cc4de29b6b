/**
 * A meter data service for a devnet: the meters' signed readings over HTTP, in the format every
 * GridSwap meter source reads (docs/metering.md, "HTTP"), for the oracle operators to read — each
 * of them independently. The meters are simulated: a generator's meter reads its nomination plus
 * the share of its commitment its unit delivered (`--delivery NODE=FRACTION`, default all), for
 * every period it had a book in, once the period has ended. Each reading is signed with its meter
 * key (METER_KEYS), which the registry binds to the generator.
 *
 *   RPC_URL=http://127.0.0.1:8545 METER_KEYS=0x…,0x… npm run meters -- --listen 127.0.0.1:8701
 *
 * Real meters sign their own readings; a head-end system would serve them the same way.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getAddress } from "ethers";
import { signReading } from "../oracle/agents/metering";
import { CommittedDeliveryMeters } from "../oracle/agents/simulation";
import { ConfigurationError } from "../oracle/chain/errors";
import { readDomain } from "../oracle/chain/typed-data";
import { walletsFromList } from "../oracle/chain/wallet";
import { connectAgent, DEFAULT_DEPLOYMENT, logger } from "./agent-common";
import {
  numberOption,
  runCommand,
  stringOption,
  stringOptions,
  UsageError,
  type CommandLine,
  type CommandSpec,
} from "./cli";

export const METERS_COMMAND: CommandSpec = {
  name: "meters",
  usage:
    "usage: npm run meters -- [--deployment <file>] [--listen HOST:PORT] [--delivery NODE=FRACTION ...] [--late-seconds S]",
  options: {
    deployment: { type: "string", value: "FILE", help: `the deployment file (default ${DEFAULT_DEPLOYMENT})` },
    listen: { type: "string", value: "HOST:PORT", help: "where to serve the readings (default 127.0.0.1:8701)" },
    delivery: {
      type: "string",
      multiple: true,
      value: "NODE=FRACTION",
      help: "the fraction of its commitments a node's unit delivers (default 1; repeatable)",
    },
    "late-seconds": {
      type: "string",
      value: "S",
      help: "readings become available this long after their period ends (default 0): a meter that reports late",
    },
  },
};

async function main(line: CommandLine): Promise<number> {
  const fractions = new Map<number, number>();
  for (const v of stringOptions(line, "delivery")) {
    const m = /^(\d+)=(.+)$/.exec(v);
    const f = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(f) || f < 0) throw new UsageError(`--delivery must be NODE=FRACTION, got '${v}'`);
    fractions.set(Number(m[1]), f);
  }
  const late = numberOption(line, "late-seconds", { integer: true, min: 0 }, 0) as number;
  const raw = stringOption(line, "listen") ?? "127.0.0.1:8701";
  const hp = /^(.+):(\d{1,5})$/.exec(raw);
  if (!hp) throw new UsageError(`--listen must be HOST:PORT, got '${raw}'`);
  const log = logger("meters");
  const { rpc, file, contracts } = await connectAgent(stringOption(line, "deployment") ?? DEFAULT_DEPLOYMENT, log);
  if (!process.env.METER_KEYS)
    throw new ConfigurationError("METER_KEYS is not set: the meters' private keys, comma-separated");
  const keys = new Map(walletsFromList("METER_KEYS", rpc.provider).map((w) => [w.address.toLowerCase(), w]));
  const domain = await readDomain(contracts.oracle);
  const meters = new CommittedDeliveryMeters(
    contracts,
    file.deployBlock,
    file.periodSeconds,
    (n) => fractions.get(n) ?? 1,
  );
  const serialise = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      try {
        const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
        const query = { meters: body.meters as string[] | undefined, periods: body.periods as number[] | undefined };
        const now = Number((await rpc.provider.getBlock("latest"))?.timestamp ?? 0);
        const batch = await meters.read(query);
        const readings = [];
        for (const r of batch.readings) {
          const wallet = keys.get(r.meter.toLowerCase());
          if (!wallet || r.timestamp + late > now) continue;
          const generator = await contracts.registry.generatorOfMeter(r.meter);
          const reading = { ...r, meter: getAddress(r.meter), timestamp: r.timestamp + late };
          const signature = await signReading(wallet, domain, generator, reading);
          readings.push({
            meter: reading.meter,
            period: reading.period,
            energyWh: reading.energyWh,
            quality: reading.quality,
            timestamp: reading.timestamp,
            signature,
          });
        }
        const text = serialise({ readings });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(text);
      } catch (e) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: (e as Error).message }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(hp[2]), hp[1], () => resolve());
  });
  const address = server.address() as AddressInfo;
  log(
    `serving ${keys.size} meter(s)' signed readings at http://${address.address}:${address.port}/readings ` +
      `(chain ${rpc.chainId}, market ${file.addresses.market}${late > 0 ? `, ${late} s late` : ""})`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}

if (require.main === module) {
  runCommand(METERS_COMMAND, async (line) => {
    try {
      return await main(line);
    } catch (e) {
      if (e instanceof ConfigurationError) throw new UsageError(e.message);
      throw e;
    }
  });
}
