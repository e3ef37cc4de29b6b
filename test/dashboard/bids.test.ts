/**
 * The market page's sealed bids (dashboard/server/bids.ts, /api/bids): what the server publishes
 * of a period's auction in each phase (only the sealed count before the gate, the revealed bids
 * after it, the selection as published), and the dashboard's demo market with its bidding agents
 * read through the feed — checked against the bid book's own counters and events.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { auctionPhase, bidPeriodView, BidBookFeed, PERIODS_AHEAD } from "../../dashboard/server/bids";
import { DemoMarket } from "../../dashboard/server/demo";
import { startDashboardServer } from "../../dashboard/server/server";
import type { BidsView } from "../../dashboard/shared/types";
import {
  commitmentsCovering,
  readBidBookEvents,
  revealedBidsFor,
  type BidBookTermsData,
  type RevealRecord,
  type SelectionRecord,
} from "../../oracle/chain/bids";
import { attachBidBook, readDeploymentFile } from "../../oracle/chain/deployments";
import { Direction, PricingRule } from "../../oracle/chain/enums";

const SEED34 = join(__dirname, "..", "..", "cases", "seed34.json");
const TERMS: BidBookTermsData = {
  periodSeconds: 1800,
  gateClosureSeconds: 0,
  studySeconds: 1800,
  revealSeconds: 300,
  bidGateSeconds: 2100,
  maxPriceUsdPerMWh: 1000n * 10n ** 8n,
};
const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";

function reveal(generator: string, period: number, node: number): RevealRecord {
  return {
    sealed: {
      generator,
      firstPeriod: period,
      lastPeriod: period,
      bid: {
        node,
        up: [
          { quantityWh: 20_000n, priceUsdPerMWh: 104n * 10n ** 8n },
          { quantityWh: 30_000n, priceUsdPerMWh: 125n * 10n ** 8n },
        ],
        down: [{ quantityWh: 50_000n, priceUsdPerMWh: 22n * 10n ** 8n }],
        salt: `0x${"11".repeat(32)}`,
      },
    },
    blockNumber: 1,
    transactionHash: "0x",
  };
}

describe("dashboard: sealed bids (/api/bids)", function () {
  describe("a period's auction, phase by phase", function () {
    const D = 1000;
    const start = D * 1800;
    const reveals = [reveal(A, D, 2), reveal(B, D, 27), reveal(A, D + 1, 2)];
    const selections: SelectionRecord[] = [
      {
        period: D,
        pricingRule: PricingRule.Nodal,
        inputHash: `0x${"22".repeat(32)}`,
        centre: B,
        selectionHash: "0x",
        blockNumber: 2,
        transactionHash: "0x",
        steps: [
          {
            generator: A,
            firstPeriod: D,
            direction: Direction.Increase,
            step: 0,
            quantityWh: 20_000n,
            priceUsdPerMWh: 110n * 10n ** 8n,
          },
          {
            generator: A,
            firstPeriod: D,
            direction: Direction.Increase,
            step: 1,
            quantityWh: 5_000n,
            priceUsdPerMWh: 125n * 10n ** 8n,
          },
        ],
      },
    ];

    it("before the gate: only the sealed count", function () {
      const v = bidPeriodView(D, TERMS, start - 2101, 2, reveals, []);
      expect(v.phase).to.equal("sealed");
      expect(v.sealed).to.equal(2);
      expect(v.revealed).to.deep.equal([]);
      expect(v.selection).to.equal(null);
      expect(v.bidGate).to.equal(start - 2100);
      expect(v.revealEnd).to.equal(start - 1800);
    });

    it("after the gate: the revealed bids of the period, with their steps in kWh and USD/MWh", function () {
      const v = bidPeriodView(D, TERMS, start - 2000, 2, reveals, []);
      expect(v.phase).to.equal("reveal");
      expect(v.revealed.map((b) => [b.generator, b.node])).to.deep.equal([
        [A, 2],
        [B, 27],
      ]);
      expect(v.revealed[0].up).to.deep.equal([
        { kwh: 20, usdPerMWh: 104 },
        { kwh: 30, usdPerMWh: 125 },
      ]);
      expect(v.revealed[0].down).to.deep.equal([{ kwh: 50, usdPerMWh: 22 }]);
    });

    it("after the reveal window: the selection as published, each step with its bid", function () {
      const v = bidPeriodView(D, TERMS, start - 600, 2, reveals, selections);
      expect(v.phase).to.equal("selection");
      const s = v.selection!;
      expect(s.pricingRule).to.equal("nodal");
      expect(s.steps.map((x) => [x.node, x.direction, x.step, x.kwh, x.usdPerMWh, x.bidUsdPerMWh])).to.deep.equal([
        [2, "increase", 0, 20, 110, 104],
        [2, "increase", 1, 5, 125, 125],
      ]);
      expect(s.kwh).to.equal(25);
      expect(s.usd).to.be.closeTo(0.02 * 110 + 0.005 * 125, 1e-12);
      expect(auctionPhase(D, TERMS, start + 10)).to.equal("delivery");
      expect(auctionPhase(D, TERMS, start + 1800)).to.equal("past");
    });
  });

  describe("the server", function () {
    it("answers /api/bids from the feed, and 404 without a bid book", async function () {
      const view = { book: A, chainTime: 0, currentPeriod: 0, terms: {}, periods: [] } as unknown as BidsView;
      // /api/bids asks neither the chain's status nor the RPC endpoint.
      const common = {
        rpc: { description: "none", call: async () => ({ jsonrpc: "2.0" as const, id: 1, result: "0x7a69" }) },
        chain: {} as never,
        pollMs: 1000,
        port: 0,
      };
      const get = (url: string): Promise<{ status: number; body: string }> =>
        new Promise((ok, fail) => {
          const u = new URL(url);
          request({ host: u.hostname, port: u.port, path: u.pathname, headers: { Host: u.host } }, (res) => {
            let body = "";
            res.on("data", (c: Buffer) => (body += c.toString()));
            res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
          })
            .on("error", fail)
            .end();
        });
      const dist = mkdtempSync(join(tmpdir(), "gridswap-dist-"));
      writeFileSync(join(dist, "index.html"), "<!doctype html>");
      const without = await startDashboardServer({ ...common, distDir: dist });
      const withBids = await startDashboardServer({ ...common, distDir: dist, bids: { view: async () => view } });
      try {
        const none = await get(`${without.url}api/bids`);
        expect(none.status).to.equal(404);
        expect(JSON.parse(none.body).error).to.match(/no bid book/);
        const some = await get(`${withBids.url}api/bids`);
        expect(some.status).to.equal(200);
        expect(JSON.parse(some.body)).to.deep.equal(view);
      } finally {
        await without.close();
        await withBids.close();
        rmSync(dist, { recursive: true, force: true });
      }
    });
  });

  describe("the demo market's auctions through the feed", function () {
    this.timeout(300_000);
    let dir: string;
    let demo: DemoMarket;

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), "gridswap-demo-bids-"));
      const [funder] = await hre.ethers.getSigners();
      demo = await DemoMarket.create({
        provider: hre.ethers.provider as never,
        funder,
        casePath: SEED34,
        resultsDir: dir,
        tickSeconds: 3600,
        seed: "dashboard-bids-test",
      });
      demo.pause();
      await demo.step(); // start: the agents commit and reveal for the first delivery period; the centre studies it
      await demo.step(); // deliver it and open the next
    });
    after(async () => {
      await demo?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("names the bid book in its deployment, and the agents bid", async function () {
      const deployment = readDeploymentFile(demo.deploymentPath);
      expect(deployment.addresses.bids).to.match(/^0x[0-9a-fA-F]{40}$/);
      const feed = new BidBookFeed(
        attachBidBook(deployment.addresses, hre.ethers.provider)!,
        hre.ethers.provider,
        deployment.deployBlock,
      );
      const view = await feed.view();
      const book = attachBidBook(deployment.addresses, hre.ethers.provider)!;
      const events = await readBidBookEvents(book, deployment.deployBlock);
      const agents = demo.info.agents.length;
      expect(view.periods).to.have.length.at.least(PERIODS_AHEAD + 1);
      expect(view.periods[0].period).to.equal(view.currentPeriod + PERIODS_AHEAD);
      for (const p of view.periods) {
        // The sealed count is the bid book's counter, and the commitments its events show.
        expect(p.sealed, `period ${p.period}`).to.equal(Number(await book.commitmentCount(p.period)));
        expect(p.sealed).to.equal(commitmentsCovering(events.commitments, p.period).length);
        if (p.phase === "sealed") expect(p.revealed).to.deep.equal([]);
        else
          expect(p.revealed.map((b) => b.generator)).to.deep.equal(
            revealedBidsFor(events.reveals, p.period).map((s) => s.generator),
          );
      }
      // Ahead: commitments sealed, nothing revealed; behind the gate: every agent revealed its bid.
      const ahead = view.periods.find((p) => p.phase === "sealed" && p.sealed > 0);
      expect(ahead, "a coming period with sealed commitments").to.not.equal(undefined);
      const revealed = view.periods.filter((p) => p.phase !== "sealed" && p.revealed.length > 0);
      expect(revealed.length).to.be.at.least(1);
      for (const p of revealed) expect(p.revealed).to.have.length(agents);
      // The centre published at least one selection, shown with its steps as on chain.
      const published = view.periods.filter((p) => p.selection !== null);
      expect(published.length, "a published selection").to.be.at.least(1);
      for (const p of published) {
        const onChain = events.selections.find((s) => s.period === p.period)!;
        expect(p.selection!.steps.map((s) => Math.round(s.kwh * 1000))).to.deep.equal(
          onChain.steps.map((s) => Number(s.quantityWh)),
        );
        expect(p.selection!.pricingRule).to.equal(
          onChain.pricingRule === PricingRule.PayAsBid ? "pay-as-bid" : "nodal",
        );
        for (const s of p.selection!.steps) expect(s.bidUsdPerMWh).to.not.equal(null);
      }
    });
  });
});
