/**
 * The dashboard in a real browser (Playwright driving the system's Chromium) against
 * `npm run dashboard -- --demo`, as a new user would start it: the page loads cleanly, the grid
 * shows seed34 with the paper's Table I lines over their limit, the centre's offer reaches the
 * board within one poll, a generator fills it from the page through an injected EIP-1193 wallet
 * with its nomination, and its book follows it from filling to settled, with the payment, after the
 * reports that measure and settle it. Then the bad inputs: a wallet on the wrong chain, a rejected
 * signature, an unreachable node and a deployment file of another chain — each a plain-language
 * error on the page.
 *
 * The demo's clock is driven from the test (a long --tick-seconds, then /api/demo/step), so
 * nothing depends on timing. Screenshots of each view go to test-results/dashboard/.
 */
import { expect as chaiExpect } from "chai";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { JsonRpcProvider, Network } from "ethers";
import { expect, type Browser, type ConsoleMessage, type Page } from "@playwright/test";
import { IDemandResponseMarket__factory, IGridOracle__factory } from "../../typechain-types";
import type { DashboardConfig, DemoStatus, PeriodIndexEntry, PeriodRecord } from "../../dashboard/shared/types";
import { injectTestWallet } from "./eip1193";
import { skipWithoutChromium } from "../browser";
import { artifactPath, launchChromium, startDashboard, type RunningDashboard } from "./helpers";

const POLL_MS = 1000;
/** "Within one poll": the next poll after the event, plus the time one poll's reads take. */
const ONE_POLL_MS = 2 * POLL_MS + 3000;

interface PageProblems {
  readonly console: string[];
  readonly failed: string[];
}

/** Collects console errors, uncaught exceptions, failed requests and HTTP errors of a page. */
function watch(page: Page): PageProblems {
  const problems: PageProblems = { console: [], failed: [] };
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") problems.console.push(m.text());
  });
  page.on("pageerror", (e) => problems.console.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.failed.push(`${r.request().method()} ${r.url()}: HTTP ${r.status()}`);
  });
  return problems;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

const step = (d: RunningDashboard): Promise<DemoStatus> =>
  getJson(`${d.url}api/demo/step`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe("dashboard in the browser (--demo)", function () {
  this.timeout(600_000);
  let demo: RunningDashboard;
  let browser: Browser;
  let config: DashboardConfig;
  let rpc: JsonRpcProvider;
  let offerHash: string;

  before(async function () {
    skipWithoutChromium(this);
    demo = await startDashboard(["--demo", "--tick-seconds", "3600", "--poll-ms", String(POLL_MS)]);
    // Hold the clock: the test advances it.
    await getJson(`${demo.url}api/demo/pause`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    config = await getJson<DashboardConfig>(`${demo.url}api/config`);
    rpc = new JsonRpcProvider(`${demo.url}rpc`, Network.from(config.deployment.chainId), { staticNetwork: true });
    browser = await launchChromium();
  });

  after(async function () {
    rpc?.destroy();
    await browser?.close();
    await demo?.stop();
  });

  it("loads with no console error or failed request, and draws seed34 with Table I's lines over their limit", async function () {
    chaiExpect(config.chain).to.deep.equal({ ok: true });
    chaiExpect(config.demo?.generators).to.have.length(1);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = watch(page);
    await page.goto(`${demo.url}#grid`);
    await page.waitForFunction(
      () => (globalThis as unknown as { gridswap?: { cy?: unknown } }).gridswap?.cy !== undefined,
    );
    const buses = await page.evaluate(
      () => (globalThis as unknown as { gridswap: { cy: { nodes(): { length: number } } } }).gridswap.cy.nodes().length,
    );
    chaiExpect(buses).to.equal(34);

    // The first published period, as the centre studied it (before any redispatch).
    const periods = await getJson<PeriodIndexEntry[]>(`${demo.url}api/periods`);
    chaiExpect(periods.length).to.be.greaterThan(0);
    await page.locator("#period-slider").fill("0");
    await page.locator("#grid-mode").selectOption("study");
    await expect(page.locator("#period-label")).toContainText(`period ${periods[0].period}`);
    const overStyled = async (): Promise<string[]> =>
      page.evaluate(() =>
        (
          globalThis as unknown as {
            gridswap: { cy: { edges(s: string): { map(f: (e: { data(k: string): string }) => string): string[] } } };
          }
        ).gridswap.cy
          .edges(".over")
          .map((e) => e.data("label"))
          .sort(),
      );
    await expect.poll(overStyled).toEqual(["11-14", "14-17", "24-27"]);
    const overRows = await page
      .locator("tr[data-status=over]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-line")));
    chaiExpect(overRows.sort()).to.deep.equal(["11-14", "14-17", "24-27"]);
    await expect(page.locator("#over-limit li")).toHaveCount(3);

    // A click on a line shows its figures with units.
    await page.evaluate(() =>
      (
        globalThis as unknown as { gridswap: { cy: { getElementById(id: string): { emit(e: string): void } } } }
      ).gridswap.cy
        .getElementById("l24")
        .emit("tap"),
    );
    await expect(page.locator(".details")).toContainText("Line 24–27");
    await expect(page.locator(".details")).toContainText("0.75 MW");
    await expect(page.locator(".details")).toContainText("MW/MW");
    await page.screenshot({ path: artifactPath("grid.png"), fullPage: true });

    await page.getByRole("tab", { name: "Market" }).click();
    await expect(page.locator("#board tbody tr").first()).toBeVisible();
    await page.screenshot({ path: artifactPath("market.png"), fullPage: true });
    chaiExpect(problems.console, "console errors").to.deep.equal([]);
    chaiExpect(problems.failed, "failed requests").to.deep.equal([]);
    await page.close();
  });

  it("opened on the Market tab: lines named by their buses, every node's price visible; then the Grid fits its canvas", async function () {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = watch(page);
    await page.goto(`${demo.url}#market`);
    // The report's lines over their limit, named as people name them (not by branch row).
    await expect(page.locator("#reports")).toContainText("11-14: ", { timeout: ONE_POLL_MS });
    await expect(page.locator("#reports")).toContainText("24-27: ");
    await expect(page.locator("#reports")).not.toContainText("row ");
    // The price history: one line per node, each narrower than the one drawn before it, so nodes
    // with the same price (27 and 34 here) stay visible as nested stripes.
    const widths = async (): Promise<number[]> =>
      page
        .locator("#price-history svg g.mark-line path")
        .evaluateAll((paths) => paths.map((p) => Number(p.getAttribute("stroke-width"))));
    await expect.poll(async () => (await widths()).length, { timeout: ONE_POLL_MS }).toBeGreaterThanOrEqual(3);
    const w = await widths();
    for (let i = 1; i < w.length; i++) chaiExpect(w[i], `line ${i} narrower than line ${i - 1}`).to.be.below(w[i - 1]);
    await expect(page.locator("#price-history")).toContainText("node 27");
    await expect(page.locator("#price-history")).toContainText("node 34");
    // The sealed bids of the coming periods (the demo's agents bid): the sealed count ahead of a gate,
    // the revealed bids with their nodes behind it — as the server read them from the bid book.
    await expect(page.locator('#bids tr[data-phase="sealed"]').first()).toBeVisible({ timeout: ONE_POLL_MS });
    await expect(page.locator("#bids li[data-bid]").first()).toContainText("node ");

    // The Grid tab, first shown now: the diagram is fitted to its canvas (it was made while hidden).
    await page.getByRole("tab", { name: "Grid" }).click();
    await page.waitForFunction(
      () => (globalThis as unknown as { gridswap?: { cy?: unknown } }).gridswap?.cy !== undefined,
    );
    const fit = async () =>
      page.evaluate(() => {
        const cy = (
          globalThis as unknown as {
            gridswap: {
              cy: {
                width(): number;
                height(): number;
                nodes(): {
                  renderedBoundingBox(): { x1: number; y1: number; x2: number; y2: number; w: number; h: number };
                };
              };
            };
          }
        ).gridswap.cy;
        const box = cy.nodes().renderedBoundingBox();
        return { width: cy.width(), height: cy.height(), box };
      });
    await expect.poll(async () => (await fit()).width, { timeout: 5000 }).toBeGreaterThan(100);
    await expect
      .poll(async () => {
        const { width, height, box } = await fit();
        const inside = box.x1 >= -1 && box.y1 >= -1 && box.x2 <= width + 1 && box.y2 <= height + 1;
        const fills = box.w >= 0.8 * width || box.h >= 0.8 * height;
        return inside && fills;
      })
      .toBe(true);
    await page.screenshot({ path: artifactPath("grid-after-market.png"), fullPage: true });
    chaiExpect(problems.console, "console errors").to.deep.equal([]);
    chaiExpect(problems.failed, "failed requests").to.deep.equal([]);
    await page.close();
  });

  it("shows the centre's new offer on the board within one poll, and a generator fills it from the page", async function () {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = watch(page);
    const person = (config.demo?.generators ?? [])[0];
    const wallet = await injectTestWallet(page, {
      privateKey: person.privateKey,
      provider: rpc,
      chainId: config.deployment.chainId,
    });
    await page.goto(`${demo.url}#market`);
    await expect(page.locator("#board tbody tr").first()).toBeVisible();

    // The centre acts: it reports and posts its offers for the next period.
    const status = await step(demo);
    const market = IDemandResponseMarket__factory.connect(config.deployment.addresses.market, rpc);
    const posted = await market.queryFilter(market.filters.OfferPosted(), config.deployment.deployBlock);
    const mine = posted.filter(
      (l) => Number(l.args.offer.period) === status.deliveryPeriod && Number(l.args.offer.node) === person.node,
    );
    chaiExpect(mine, `an offer for node ${person.node} in period ${status.deliveryPeriod}`).to.have.length(1);
    offerHash = mine[0].args.offerHash;
    await expect(page.locator(`#board tr[data-offer="${offerHash}"]`)).toBeVisible({ timeout: ONE_POLL_MS });
    await expect(page.locator(`#board tr[data-offer="${offerHash}"]`)).toHaveAttribute("data-state", "open");

    // The generator connects its (injected) wallet and fills the offer at the policy's amount, with
    // its nomination — its unit's planned output in the period — prefilled from the demo's schedule.
    await page.getByRole("tab", { name: "Generator" }).click();
    await page.locator("#connect-injected").click();
    await expect(page.locator("#wallet-address")).toContainText(wallet.address);
    await expect(page.locator("#wallet-address")).toContainText(`node ${person.node}`);
    const row = page.locator(`#my-offers tr[data-offer="${offerHash}"]`);
    await expect(row).toBeVisible({ timeout: ONE_POLL_MS });
    await expect(row.locator(".verdict")).toContainText("FILL");
    await expect(row.locator(".fill-nomination")).toHaveValue(person.plannedKwh);
    await row.locator(".fill-button").click();
    await expect(page.locator("#generator-message .notice.ok")).toContainText("Filled", { timeout: 60_000 });
    await expect(page.locator("#generator-message .notice.ok")).toContainText(
      `against your nomination of ${person.plannedKwh} kWh`,
    );
    chaiExpect(wallet.sent.length).to.be.greaterThan(0);
    const fills = await market.queryFilter(market.filters.Filled(offerHash, wallet.address));
    chaiExpect(fills, "the Filled event of the page's fill").to.have.length(1);
    const fill = fills[0].args.details;
    const deliveryPeriod = Number(fills[0].args.period);
    chaiExpect(deliveryPeriod).to.equal(status.deliveryPeriod);
    chaiExpect(Number(fill.nominatedWh) / 1000, "the nomination sent").to.equal(Number(person.plannedKwh));
    const book = await market.bookOf(wallet.address, deliveryPeriod);
    chaiExpect(book.nominatedWh).to.equal(fill.nominatedWh);
    chaiExpect(book.committedWh).to.equal(fill.amountWh);
    const bookId = `${wallet.address.toLowerCase()}:${deliveryPeriod}`;
    const bookRow = page.locator(`#my-books tr[data-book="${bookId}"]`);
    await expect(bookRow).toBeVisible({ timeout: ONE_POLL_MS });
    // Filled before the gate: the book is still filling, and says what it holds.
    await expect(bookRow).toHaveAttribute("data-state", "filling");
    await expect(bookRow).toContainText(`Nominated: ${person.plannedKwh} kWh`);
    await expect(bookRow.locator(`li[data-offer="${offerHash}"]`)).toContainText(
      `${(Number(fill.amountWh) / 1000).toFixed(3)} kWh`,
    );
    await page.screenshot({ path: artifactPath("generator-filled.png"), fullPage: true });
    chaiExpect(problems.console, "console errors").to.deep.equal([]);
    chaiExpect(problems.failed, "failed requests").to.deep.equal([]);

    // Delivery, the report measuring it, and the report after its dispute window settles it.
    const vaultBefore = (await market.balancesOf(wallet.address))[0];
    const oracle = IGridOracle__factory.connect(config.deployment.addresses.oracle, rpc);
    const settledLogs = () => market.queryFilter(market.filters.Settled(wallet.address, deliveryPeriod));
    let settled = false;
    let sawMeasured = false;
    for (let i = 0; i < 4 && !settled; i++) {
      await step(demo);
      settled = (await settledLogs()).length > 0;
      const measured = await oracle.queryFilter(oracle.filters.MeasurementReported(deliveryPeriod, wallet.address));
      // Reported but not final yet (a report can also come late enough to settle at once): the book
      // says so, with when it becomes final. Every state: test/dashboard/pages.test.ts.
      if (!settled && measured.length > 0) {
        await expect(bookRow).toHaveAttribute("data-state", "measured", { timeout: ONE_POLL_MS });
        await expect(bookRow).toContainText("measured: ");
        await expect(bookRow).toContainText("final at ");
        sawMeasured = true;
      } else if (!settled && i === 0) {
        await expect(bookRow).toHaveAttribute("data-state", /awaiting (delivery|measurement)/, {
          timeout: ONE_POLL_MS,
        });
      }
    }
    chaiExpect(settled, "the book settled within four periods").to.equal(true);
    chaiExpect(sawMeasured, "the book was seen measured, waiting for its dispute window").to.equal(true);
    // The delivery period as it ran: the person's unit moved by what it committed, and with the
    // node-27 agent's move too (the study's redispatch) no line is over its limit any more.
    const ran = await getJson<PeriodRecord>(`${demo.url}api/periods/${deliveryPeriod}`);
    chaiExpect(ran.stage).to.equal("delivered");
    const hours = config.deployment.periodSeconds / 3600;
    const personDelivery = ran.delivery.find((d) => d.node === person.node);
    chaiExpect(personDelivery?.address).to.equal(person.address);
    chaiExpect(personDelivery?.committedMW).to.be.closeTo(Number(fill.amountWh) / 1e6 / hours, 1e-12);
    chaiExpect(ran.violatedLines.map((l) => `${l.from}-${l.to}`)).to.deep.equal(["11-14", "14-17", "24-27"]);
    chaiExpect(ran.violatedLinesActual, "lines over their limit as it ran").to.deep.equal([]);
    // Its fills are the chain's, the person's own from the page among them (not only the agents').
    const filledOnChain = await market.queryFilter(
      market.filters.Filled(undefined, undefined, deliveryPeriod),
      config.deployment.deployBlock,
    );
    chaiExpect(filledOnChain.map((l) => l.args.generator)).to.include(wallet.address);
    chaiExpect(ran.fills).to.equal(filledOnChain.length);
    chaiExpect(ran.filledKwh).to.be.closeTo(
      filledOnChain.reduce((kwh, l) => kwh + Number(l.args.details.amountWh) / 1000, 0),
      1e-9,
    );
    // The grid detail the diagram draws: both load flows and every line's sensitivities, published.
    chaiExpect(ran.detail?.actual?.loadFlow.branches).to.have.length(35);
    chaiExpect(ran.detail?.study.sensitivities.lines).to.have.length(35);
    const [settledLog] = await settledLogs();
    const s = settledLog.args.settlement;
    chaiExpect(s.committedWh).to.equal(fill.amountWh);
    chaiExpect(s.creditedWh, "delivered as committed, against its own nomination").to.equal(fill.amountWh);
    const paid = s.usdToGenerator;
    chaiExpect(paid).to.equal(fill.usd, "full delivery is paid in full");
    await expect(bookRow).toHaveAttribute("data-settled", "yes", { timeout: ONE_POLL_MS });
    await expect(bookRow).toHaveAttribute("data-state", "settled");
    await expect(bookRow).toContainText(`credited +${(Number(fill.amountWh) / 1000).toFixed(3)} kWh`);
    const vaultAfter = (await market.balancesOf(wallet.address))[0];
    chaiExpect(vaultAfter - vaultBefore).to.equal(paid);
    const usdText = `${Number(vaultAfter) / 1e8}`;
    await expect(page.locator("#my-balances tr[data-balance=vault]")).toContainText(usdText, { timeout: ONE_POLL_MS });
    await page.screenshot({ path: artifactPath("generator-settled.png"), fullPage: true });
    await page.getByRole("tab", { name: "Market" }).click();
    await expect(page.locator(`#settlements tr[data-settled="${bookId}"]`)).toBeVisible({ timeout: ONE_POLL_MS });
    await expect(page.locator(`#books tr[data-book="${bookId}"]`)).toHaveAttribute("data-state", "settled");
    // Reported prices in their parts: energy + loss + congestion.
    await expect(page.locator("#reports li[data-node]").first()).toContainText(
      /USD\/MWh = energy .+ \+ loss .+ \+ congestion /,
    );
    await page.screenshot({ path: artifactPath("market-settled.png"), fullPage: true });
    chaiExpect(problems.console, "console errors").to.deep.equal([]);
    chaiExpect(problems.failed, "failed requests").to.deep.equal([]);
    await page.close();
  });

  it("says so in plain words when the wallet is on another chain, and offers to switch", async function () {
    const page = await browser.newPage();
    const person = (config.demo?.generators ?? [])[0];
    await injectTestWallet(page, { privateKey: person.privateKey, provider: rpc, chainId: 1 });
    await page.goto(`${demo.url}#generator`);
    await page.locator("#connect-injected").click();
    const error = page.locator("#wallet-status .notice.error");
    await expect(error).toContainText("Your wallet is on chain 1 (Ethereum mainnet)");
    await expect(error).toContainText(`this market is on chain ${config.deployment.chainId}`);
    await page.screenshot({ path: artifactPath("error-wrong-wallet-chain.png"), fullPage: true });
    await page.locator("#switch-chain").click();
    await expect(page.locator("#wallet-address")).toContainText(person.address);
    await page.close();
  });

  it("says so in plain words when the signature is rejected, and nothing is sent", async function () {
    // A new offer for the person's node, then a wallet that rejects every signature.
    const status = await step(demo);
    const page = await browser.newPage();
    const person = (config.demo?.generators ?? [])[0];
    const wallet = await injectTestWallet(page, {
      privateKey: person.privateKey,
      provider: rpc,
      chainId: config.deployment.chainId,
      reject: true,
    });
    await page.goto(`${demo.url}#generator`);
    await page.locator("#connect-injected").click();
    const market = IDemandResponseMarket__factory.connect(config.deployment.addresses.market, rpc);
    const posted = await market.queryFilter(market.filters.OfferPosted(), config.deployment.deployBlock);
    const offer = posted.find(
      (l) => Number(l.args.offer.period) === status.deliveryPeriod && Number(l.args.offer.node) === person.node,
    );
    chaiExpect(offer, "an offer for the person's node").to.not.equal(undefined);
    const row = page.locator(`#my-offers tr[data-offer="${offer?.args.offerHash}"]`);
    await expect(row).toBeVisible({ timeout: ONE_POLL_MS });
    await row.locator(".fill-button").click();
    await expect(page.locator("#generator-message .notice.error")).toContainText(
      "You rejected the request in your wallet",
    );
    chaiExpect(wallet.sent).to.deep.equal([]);
    await page.screenshot({ path: artifactPath("error-rejected-signature.png"), fullPage: true });
    await page.close();
  });

  it("works from the chain alone: another dashboard on the demo's RPC endpoint, without published results", async function () {
    const dir = mkdtempSync(join(tmpdir(), "gridswap-dashboard-test-"));
    const deployment = join(dir, "devnet.json");
    writeFileSync(deployment, JSON.stringify({ ...config.deployment, deployedAt: new Date().toISOString() }));
    const reader = await startDashboard([
      "--rpc",
      `${demo.url}rpc`,
      "--deployment",
      deployment,
      "--poll-ms",
      String(POLL_MS),
    ]);
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems = watch(page);
      await page.goto(reader.url);
      await expect(page.locator("#view-grid .notice.info")).toContainText("No per-period results are published");
      // The latest report carries the centre's study of the next period, before redispatch: Table I's lines.
      const overStyled = async (): Promise<string[]> =>
        page.evaluate(
          () =>
            (
              globalThis as unknown as {
                gridswap?: {
                  cy: { edges(s: string): { map(f: (e: { data(k: string): string }) => string): string[] } };
                };
              }
            ).gridswap?.cy
              .edges(".over")
              .map((e) => e.data("label"))
              .sort() ?? [],
        );
      await expect.poll(overStyled, { timeout: ONE_POLL_MS }).toEqual(["11-14", "14-17", "24-27"]);
      await page.getByRole("tab", { name: "Market" }).click();
      await expect(page.locator(`#board tr[data-offer="${offerHash}"]`)).toBeVisible({ timeout: ONE_POLL_MS });
      await expect(page.locator("#problems .notice")).toHaveCount(0);
      await page.screenshot({ path: artifactPath("chain-only-market.png"), fullPage: true });
      chaiExpect(problems.console, "console errors").to.deep.equal([]);
      chaiExpect(problems.failed, "failed requests").to.deep.equal([]);
      await page.close();
    } finally {
      await reader.stop();
    }
  });

  it("shows an unreachable node and a deployment file of another chain as plain errors, never a blank page", async function () {
    const dir = mkdtempSync(join(tmpdir(), "gridswap-dashboard-test-"));
    const otherChain = join(dir, "other-chain.json");
    writeFileSync(
      otherChain,
      JSON.stringify({ ...config.deployment, chainId: 11155111, deployedAt: new Date().toISOString() }),
    );
    const sameChain = join(dir, "devnet.json");
    writeFileSync(sameChain, JSON.stringify({ ...config.deployment, deployedAt: new Date().toISOString() }));
    const closedPort = await freePort();
    const cases: { name: string; args: string[]; expected: RegExp }[] = [
      {
        name: "error-unreachable-rpc",
        args: ["--rpc", `http://127.0.0.1:${closedPort}`, "--deployment", sameChain],
        expected: /Cannot reach the chain: the chain's RPC endpoint http:\/\/127\.0\.0\.1:\d+ cannot be reached/,
      },
      {
        name: "error-deployment-other-chain",
        args: ["--rpc", `${demo.url}rpc`, "--deployment", otherChain],
        expected:
          /Wrong chain: the deployment file .* is for chain 11155111 \(Sepolia\), but the RPC endpoint .* serves chain 31337/,
      },
    ];
    for (const c of cases) {
      const dashboard = await startDashboard([...c.args, "--poll-ms", String(POLL_MS)], 120_000);
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(dashboard.url);
        await expect(page.locator("#problems .notice.error")).toContainText(c.expected);
        // The rest of the page still works: the grid is drawn from the case.
        await expect(page.locator("h2").first()).toContainText("Grid: seed34");
        await page.waitForFunction(
          () => (globalThis as unknown as { gridswap?: { cy?: unknown } }).gridswap?.cy !== undefined,
        );
        await page.screenshot({ path: artifactPath(`${c.name}.png`), fullPage: true });
        await page.close();
      } finally {
        await dashboard.stop();
      }
    }
  });
});
