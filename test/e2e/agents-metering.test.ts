/**
 * End to end on `hardhat node` and on Anvil, with the agents as processes: the oracle's three
 * operators read meter readings from files and from an HTTP endpoint (a small server on 127.0.0.1
 * started here) and sign the centre's reports, the
 * generator at node 27 delivers 60 % of its commitment, and the settlement event and both parties'
 * vault balances match the graduated rule exactly (computed independently with the TypeScript
 * mirror of GridSwapMath). Baseline: MeterBefore (the reading of the period before delivery).
 */
import { expect } from "chai";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startAnvil, startHardhatNode, type LocalNode } from "../../scripts/devnet";
import { fillFromEvent } from "../../oracle/chain/market-data";
import { settlement } from "../../oracle/chain/units";
import { AgentProcess, nextPeriod, startOperators, waitFor } from "./agent-process";
import { deployScene } from "./scene";

/** Energy the node-27 unit produces in a period without a trade, Wh (any steady value works). */
const STEADY_WH = 320_000n;

interface Reading {
  meter: string;
  period: number;
  energyWh: string;
  quality: string;
  timestamp: number;
}

for (const nodeKind of ["hardhat node", "anvil"] as const) {
  describe(`agents end to end with metered delivery (${nodeKind})`, function () {
    let node: LocalNode;
    before(async function () {
      AgentProcess.build();
      node = await (nodeKind === "anvil" ? startAnvil() : startHardhatNode());
    });
    after(async () => node?.stop());

    for (const source of ["files", "HTTP"] as const) {
      it(`settles 60 % delivery measured from ${source} exactly by the rule`, async function () {
        const { dir, path, file, market, p, c } = await deployScene(node, {
          prefix: "e2e",
          seed: `e2e-${nodeKind}-${source}`,
          generators: [{ node: 27 }],
        });
        const readings: Reading[] = [];
        let server: Server | undefined;
        const agents: AgentProcess[] = [];
        try {
          const g = market.accounts.generators[0];
          const write = (): void => {
            // Files are written whole and renamed into place: the source never sees half a file.
            const lines = [
              "meter,period,energyWh,quality,timestamp",
              ...readings.map((r) => `${r.meter},${r.period},${r.energyWh},${r.quality},${r.timestamp}`),
            ];
            writeFileSync(join(dir, "readings", "meters.csv.tmp"), `${lines.join("\n")}\n`);
            renameSync(join(dir, "readings", "meters.csv.tmp"), join(dir, "readings", "meters.csv"));
          };
          let metersArg: string[];
          if (source === "files") {
            const { mkdirSync } = await import("node:fs");
            mkdirSync(join(dir, "readings"));
            write();
            metersArg = ["--meters", join(dir, "readings")];
          } else {
            server = createServer((req, res) => {
              req.resume();
              req.on("end", () => {
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({ readings }));
              });
            });
            await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
            metersArg = ["--meters-url", `http://127.0.0.1:${(server.address() as AddressInfo).port}/readings`];
          }
          const env = {
            RPC_URL: node.url,
            CENTRE_KEY: market.accounts.centre.privateKey,
            GENERATOR_KEY: g.wallet.privateKey,
          };
          const common = ["--deployment", path, "--interval-seconds", "1"];
          // The oracle's three operators read the (unsigned, devnet) meter data themselves.
          const operators = await startOperators({
            rpcUrl: node.url,
            deployment: path,
            keys: market.accounts.oracleSigners.map((s) => s.privateKey),
            dir,
            meters: () => [...metersArg, "--insecure-unsigned-readings"],
          });
          agents.push(...(operators.processes as AgentProcess[]));
          const centre = AgentProcess.start(
            "agent-centre",
            [
              ...operators.urls.flatMap((u) => ["--oracle", u]),
              "--reading-grace-seconds",
              "0",
              "--baseline",
              "meter-before",
              "--state",
              join(dir, "centre.json"),
              ...common,
            ],
            env,
          );
          const generator = AgentProcess.start(
            "agent-generator",
            [
              "--node",
              "27",
              "--cost",
              "0.01",
              "--margin",
              "0.002",
              "--capacity",
              "50",
              "--planned-mw",
              "0.64",
              "--state",
              join(dir, "gen.json"),
              ...common,
            ],
            env,
          );
          agents.push(centre, generator);
          const logs = (): string => agents.map((a, i) => `--- ${i}\n${a.output}`).join("\n");

          // P0: the centre reports and posts for P1; the generator fills.
          const p0 = await nextPeriod(p, file.periodSeconds);
          const fill = await waitFor(
            "the generator's fill",
            async () => (await c.market.queryFilter(c.market.filters.Filled()))[0],
            120_000,
            logs,
          );
          const position = fillFromEvent(fill.args.offerHash, fill.args.generator, fill.args.period, fill.args.details);
          expect(position.period).to.equal(p0 + 1);
          // Readings: P0 at the steady output (the baseline), P1 lowered by 60 % of the commitment.
          const delivered = (position.amountWh * 6n) / 10n;
          const index = (await c.registry.generatorOf(g.wallet.address))[3];
          const at = (period: number): number => (period + 1) * file.periodSeconds;
          readings.push({
            meter: g.meter.address,
            period: p0,
            energyWh: String(STEADY_WH),
            quality: "OK",
            timestamp: at(p0),
          });
          readings.push({
            meter: g.meter.address,
            period: p0 + 1,
            energyWh: String(STEADY_WH - delivered),
            quality: "OK",
            timestamp: at(p0 + 1),
          });
          if (source === "files") write();
          // P1: delivery. P2: measured and reported. P3: final, settled.
          await nextPeriod(p, file.periodSeconds);
          await waitFor("report of P1", () => c.oracle.hasReport(p0 + 1), 60_000, logs);
          await nextPeriod(p, file.periodSeconds);
          await waitFor("the measurement of P1", async () => c.oracle.isMeasured(p0 + 1, index), 60_000, logs);
          const [usdBefore] = await c.market.balancesOf(g.wallet.address);
          const [centreUsdBefore, centreKwhBefore] = await c.market.balancesOf(market.accounts.centre.address);
          const fromBlock = (await p.getBlockNumber()) + 1;
          await nextPeriod(p, file.periodSeconds);
          const settled = await waitFor(
            "the settlement",
            async () => (await c.market.queryFilter(c.market.filters.Settled(g.wallet.address, p0 + 1)))[0],
            60_000,
            logs,
          );
          const rule = settlement(
            { committedWh: position.amountWh, usd: position.usd, increase: position.direction === 0 },
            -delivered,
            await c.market.terms(),
          );
          const s = settled.args.settlement;
          expect([s.deliveredWh, s.paidWh, s.penaltyWh, s.usdToGenerator, s.usdToCentre]).to.deep.equal([
            rule.deliveredWh,
            rule.paidWh,
            rule.penaltyWh,
            rule.usdToGenerator,
            rule.usdToCentre,
          ]);
          expect(s.deliveredWh).to.equal(delivered);
          // Both parties' free balances moved by exactly those amounts — besides the escrow of the
          // next period's fills, which the agents keep trading meanwhile.
          const toBlock = await p.getBlockNumber();
          const newFills = await c.market.queryFilter(c.market.filters.Filled(), fromBlock, toBlock);
          const escrowedUsd = newFills.reduce((sum, f) => sum + f.args.details.usd, 0n);
          const [usdAfter] = await c.market.balancesOf(g.wallet.address, { blockTag: toBlock });
          expect(usdAfter - usdBefore).to.equal(rule.usdToGenerator);
          const [centreUsdAfter, centreKwhAfter] = await c.market.balancesOf(market.accounts.centre.address, {
            blockTag: toBlock,
          });
          expect(centreUsdAfter - centreUsdBefore + escrowedUsd).to.equal(rule.usdToCentre);
          expect(centreKwhAfter - centreKwhBefore).to.equal(rule.kwhToCentre);
          await waitFor(
            "the generator's payment log",
            async () => /paid for my commitment in period \d+: .* received/.test(generator.output),
            30_000,
            logs,
          );
          expect(centre.running && generator.running, "both agents still running").to.equal(true);
        } finally {
          for (const a of agents) await a.stop();
          server?.close();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
