/**
 * Read-only tasks: gridswap:balances (wallets and free vault balances of the roles and generators)
 * and gridswap:history (each generator's commitment per period with its settlement or unwind, decoded).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  connectDeployment,
  fmtKwh,
  fmtUsd,
  gridswapTask,
  parseAddress,
  printTable,
  type Connected,
  chain,
} from "./common";

/** The deployment's roles and every registered generator, by label. */
async function knownAccounts(hre: HardhatRuntimeEnvironment, c: Connected): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const r = c.roles;
  if (r) {
    r.centres.forEach((a, i) => out.push([r.centres.length > 1 ? `centre ${i + 1}` : "centre", a]));
    r.oracleSigners.forEach((a, i) => out.push([`oracle ${i + 1}`, a]));
    out.push(
      ["registrar", r.registrar],
      ["issuer", r.issuer],
      ["treasury", r.treasury],
      ["admin", r.admin],
      ["deployer", r.deployer],
    );
  }
  const { registry } = c.contracts;
  const { queryLogs } = await chain(hre);
  const seen = new Set<string>();
  for (const log of await queryLogs(registry, registry.filters.GeneratorRegistered(), c.file.deployBlock)) {
    const g = log.args.generator;
    if (seen.has(g)) continue;
    seen.add(g);
    out.push([`generator @${log.args.node}`, g]);
  }
  return out;
}

interface BalancesArgs {
  address?: string;
}

gridswapTask<BalancesArgs>(
  "balances",
  "Gas, wallet and free vault balances (USD, kWh) of the roles and generators, and the market's holdings",
  [{ name: "address", description: "Only these accounts (comma-separated addresses)" }],
  async (args, hre: HardhatRuntimeEnvironment) => {
    const c = await connectDeployment(hre);
    const accounts: [string, string][] =
      args.address === undefined
        ? await knownAccounts(hre, c)
        : args.address
            .split(/[\s,]+/)
            .filter((s) => s !== "")
            .map((a): [string, string] => ["", parseAddress(hre, a, "--address")]);
    const { usd, kwh, market } = c.contracts;
    const rows: string[][] = [];
    for (const [label, address] of accounts) {
      const [freeUsd, freeKwh] = await market.balancesOf(address);
      rows.push([
        label,
        address,
        Number(hre.ethers.formatEther(await c.provider.getBalance(address))).toFixed(4),
        fmtUsd(await usd.balanceOf(address)),
        fmtKwh(await kwh.balanceOf(address)),
        fmtUsd(freeUsd),
        fmtKwh(freeKwh),
      ]);
    }
    printTable(
      ["account", "address", "ETH", "wallet USD", "wallet kWh", "vault USD", "vault kWh"],
      rows,
      new Set(["ETH", "wallet USD", "wallet kWh", "vault USD", "vault kWh"]),
    );
    const m = await market.getAddress();
    console.log(
      `market ${m} holds ${fmtUsd(await usd.balanceOf(m))} USD and ${fmtKwh(await kwh.balanceOf(m))} kWh (free balances + escrow of open commitments)`,
    );
  },
);

interface HistoryArgs {
  generator?: string;
  json: boolean;
}

gridswapTask<HistoryArgs>(
  "history",
  "Each generator's commitment per delivery period (its fills) with its settlement or unwind, decoded",
  [
    { name: "generator", description: "Only this generator's commitments" },
    { name: "json", description: "One JSON object per commitment (Wh and 1e-8 USD as strings)", flag: true },
  ],
  async (args, hre) => {
    const only = args.generator === undefined ? undefined : parseAddress(hre, args.generator, "--generator");
    const c = await connectDeployment(hre);
    const { readMarketEvents, bookKeyId, findMeasurementProof, toJsonObject } = await chain(hre);
    const { Direction, Quality, enumName } = await chain(hre);
    const events = await readMarketEvents(c.contracts.market, c.file.deployBlock);
    const settled = new Map(events.settlements.map((s) => [bookKeyId(s), s]));
    const unwound = new Map(events.unwinds.map((u) => [bookKeyId(u), u]));
    // A generator's fills of one period make one commitment (its book), settled as a whole.
    const books = new Map<
      string,
      {
        generator: string;
        period: number;
        direction: number;
        fills: number;
        committedWh: bigint;
        usd: bigint;
        nominatedWh: bigint;
      }
    >();
    for (const { fill } of events.fills) {
      if (only && fill.generator.toLowerCase() !== only.toLowerCase()) continue;
      const key = bookKeyId(fill);
      const b = books.get(key) ?? {
        generator: fill.generator,
        period: fill.period,
        direction: fill.direction,
        fills: 0,
        committedWh: 0n,
        usd: 0n,
        nominatedWh: fill.nominatedWh,
      };
      b.fills++;
      b.committedWh += fill.amountWh;
      b.usd += fill.usd;
      books.set(key, b);
    }
    const rows: string[][] = [];
    for (const [key, b] of books) {
      const s = settled.get(key)?.settlement;
      const u = unwound.get(key);
      let state = "open";
      if (s) state = "settled";
      else if (u) state = "unwound";
      else {
        const proof = await findMeasurementProof(c.contracts.oracle, b.generator, b.period, c.file.deployBlock);
        if ((await c.contracts.market.previewSettlement(b.generator, b.period, proof))[0]) state = "open (settleable)";
      }
      if (args.json) {
        console.log(
          JSON.stringify({
            generator: b.generator,
            period: b.period,
            state,
            commitment: toJsonObject({
              direction: b.direction,
              fills: b.fills,
              committedWh: b.committedWh,
              usd: b.usd,
              nominatedWh: b.nominatedWh,
            }),
            settlement: s ? toJsonObject(s) : undefined,
            unwound: u ? { usd: u.usd.toString(), kwhWh: u.kwhWh.toString() } : undefined,
          }),
        );
        continue;
      }
      rows.push([
        b.generator,
        String(b.period),
        enumName(Direction, b.direction, "Direction"),
        String(b.fills),
        fmtKwh(b.committedWh),
        fmtUsd(b.usd),
        fmtKwh(b.nominatedWh),
        state,
        s ? fmtKwh(s.deliveredWh) : "",
        s ? fmtKwh(s.paidWh) : "",
        s ? fmtKwh(s.penaltyWh) : "",
        s ? fmtUsd(s.usdToGenerator) : "",
        s ? fmtUsd(s.usdToCentre) : u ? fmtUsd(u.usd) : "",
        s ? enumName(Quality, s.quality, "Quality") : "",
      ]);
    }
    if (args.json) return;
    if (rows.length === 0) {
      console.log("no commitments yet (no offer has been filled)");
      return;
    }
    printTable(
      [
        "generator",
        "period",
        "direction",
        "fills",
        "kWh",
        "USD",
        "nominated kWh",
        "state",
        "delivered",
        "paid kWh",
        "penalty kWh",
        "USD to gen",
        "USD to centre",
        "quality",
      ],
      rows,
      new Set([
        "period",
        "fills",
        "kWh",
        "USD",
        "nominated kWh",
        "delivered",
        "paid kWh",
        "penalty kWh",
        "USD to gen",
        "USD to centre",
      ]),
    );
  },
);
