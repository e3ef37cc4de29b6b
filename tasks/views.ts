/**
 * Read-only tasks: gridswap:balances (USD and kWh of the market's parties) and gridswap:history
 * (how offers ended: settled, cancelled, refunded, unwound — decoded from the market's events).
 */
import { task } from "hardhat/config";
import { action, connectDeployment, isoTime, parseAddressList } from "./common";

interface BalancesArgs {
  address?: string;
}

task("gridswap:balances", "USD and kWh balances (default: the market's escrow, centres, generators, USD holders)")
  .addOptionalParam("address", "Addresses to show, comma-separated (default: every party found in the events)")
  .setAction(
    action<BalancesArgs>(async (args, hre) => {
      const asked = parseAddressList(hre, args.address, "--address");
      const { contracts: c } = await connectDeployment(hre);
      const { KWH_DECIMALS, USD_DECIMALS } = await import("../oracle/chain/units");
      const market = await c.market.getAddress();

      // Who is who, from the events: the escrow, centres, registered generators, USD holders.
      const roles = new Map<string, string[]>();
      const add = (address: string, role: string) => {
        const key = hre.ethers.getAddress(address);
        const list = roles.get(key) ?? [];
        if (!list.includes(role)) list.push(role);
        roles.set(key, list);
      };
      add(market, "market escrow");
      const centreRole = await c.market.CENTRE_ROLE();
      for (const log of await c.market.queryFilter(c.market.filters.RoleGranted(centreRole))) {
        if (await c.market.hasRole(centreRole, log.args.account)) add(log.args.account, "centre");
      }
      for (const log of await c.registry.queryFilter(c.registry.filters.GeneratorRegistered())) {
        if ((await c.registry.nodeOf(log.args.generator)) !== 0n) add(log.args.generator, "generator");
      }
      for (const log of await c.usd.queryFilter(c.usd.filters.Transfer(hre.ethers.ZeroAddress)))
        add(log.args.to, "USD holder");

      const addresses = asked.length > 0 ? asked : [...roles.keys()];
      const rows: string[][] = [];
      for (const address of addresses) {
        const node = await c.registry.nodeOf(address);
        const labels = (roles.get(address) ?? []).filter(
          (r) => r !== "USD holder" || (roles.get(address) ?? []).length === 1,
        );
        rows.push([
          address,
          labels.join(", ") || "-",
          node === 0n ? "" : String(node),
          hre.ethers.formatUnits(await c.usd.balanceOf(address), USD_DECIMALS),
          hre.ethers.formatUnits(await c.kwh.balanceOf(address), KWH_DECIMALS),
        ]);
      }
      const header = ["address", "role", "node", "USD", "kWh"];
      const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
      const line = (cells: string[]) =>
        cells
          .map((cell, k) => (k >= 2 ? cell.padStart(widths[k]) : cell.padEnd(widths[k])))
          .join("  ")
          .trimEnd();
      console.log(line(header));
      for (const r of rows) console.log(line(r));
    }),
  );

task(
  "gridswap:history",
  "How offers ended: OfferSettled, OfferCancelled, OfferRefunded and OfferUnwound, decoded",
).setAction(
  action(async (_args, hre) => {
    const { contracts: c } = await connectDeployment(hre);
    const { KWH_DECIMALS, USD_DECIMALS } = await import("../oracle/chain/units");
    const usd = (units: bigint) => `${hre.ethers.formatUnits(units, USD_DECIMALS)} USD`;
    const kwh = (wh: bigint) => `${hre.ethers.formatUnits(wh, KWH_DECIMALS)} kWh`;
    const m = c.market;
    const entries: { block: number; index: number; text: (id: bigint) => Promise<string>; id: bigint }[] = [];
    for (const log of await m.queryFilter(m.filters.OfferSettled())) {
      const a = log.args;
      entries.push({
        block: log.blockNumber,
        index: log.index,
        id: a.id,
        text: async (id) => {
          const offer = await m.getOffer(id);
          return (
            `settled: ${kwh(a.deliveredWh)} of ${kwh(offer.kwhAmount)} delivered by ${a.generator}; ` +
            `${usd(a.usdToGenerator)} to the generator, ${usd(a.usdToCentre)} and ${kwh(a.kwhToCentre)} to the centre ${offer.centre}`
          );
        },
      });
    }
    for (const log of await m.queryFilter(m.filters.OfferCancelled())) {
      const a = log.args;
      entries.push({
        block: log.blockNumber,
        index: log.index,
        id: a.id,
        text: async () => `cancelled by the centre: ${usd(a.usdAmount)} returned`,
      });
    }
    for (const log of await m.queryFilter(m.filters.OfferRefunded())) {
      const a = log.args;
      entries.push({
        block: log.blockNumber,
        index: log.index,
        id: a.id,
        text: async () => `refunded after expiry, never accepted: ${usd(a.usdAmount)} returned to the centre`,
      });
    }
    for (const log of await m.queryFilter(m.filters.OfferUnwound())) {
      const a = log.args;
      entries.push({
        block: log.blockNumber,
        index: log.index,
        id: a.id,
        text: async () =>
          `unwound, never measured: ${usd(a.usdAmount)} returned to the centre, ${kwh(a.kwhAmount)} to the generator`,
      });
    }
    if (entries.length === 0) {
      console.log("no offer has been settled, cancelled, refunded or unwound yet");
      return;
    }
    entries.sort((x, y) => x.block - y.block || x.index - y.index);
    const times = new Map<number, string>();
    for (const e of entries) {
      if (!times.has(e.block))
        times.set(e.block, isoTime((await hre.ethers.provider.getBlock(e.block))?.timestamp ?? 0));
      console.log(`#${e.id} ${times.get(e.block)} (block ${e.block}) ${await e.text(e.id)}`);
    }
  }),
);
