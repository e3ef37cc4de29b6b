/**
 * A short day on the market (oracle/agents/day.ts) on Hardhat's in-process chain: seed34 from
 * 10:00 to 12:00 on a sunny day with a commerce-like profile (congestion on the corridor at noon),
 * seed "a" — its node-2 generator delivers only part of what it commits. Checked: the market
 * trades, delivers and settles (in the tail); USD and kWh moved equal the balance changes read
 * here from the chain; the same seed gives the same day; every post-redispatch AC flow is within
 * its limits or its period is infeasible with each line named; the outputs are written whole (or
 * not at all) and report.html renders in headless Chromium without a console error.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadCase } from "../../../oracle";
import { simulateDay, type ChainSpec, type DayConfig, type DayResult } from "../../../oracle/agents/day";
import { writeDayOutputs } from "../../../oracle/agents/day-output";
import { attachContracts, CONTRACT_NAMES } from "../../../oracle/chain/deployments";
import { parseCivilDate } from "../../../oracle/market/profiles";
import { requireChromium, visit } from "../../browser";
import { householdLike, profileOf } from "../market/profile-fixtures";

const ROOT = resolve(__dirname, "../../..");
/** Low at night, a broad midday peak: shops and offices under a PV-rich feeder. */
const commerceLike = (q: number): number => 15 + 45 * Math.exp(-(((q / 4 - 11.5) / 3) ** 2));

async function shortDay(seed: string): Promise<DayResult> {
  const [funder] = await hre.ethers.getSigners();
  return simulateDay({
    case: loadCase(join(ROOT, "cases/seed34.json")),
    date: parseCivilDate("2026-06-15"),
    start: 20, // 10:00
    periods: 4,
    profile: profileOf(commerceLike),
    pv: { latitude: 52.5, longitude: 13.4, clouds: 0.1 },
    seed,
    chain: { provider: hre.ethers.provider as unknown as ChainSpec["provider"], funder },
  });
}

/** Everything of a day but what depends on the chain's clock and the machine (periods, gas, times). */
function outcome(d: DayResult): unknown {
  const {
    wallSeconds: _w,
    notes: _n,
    gasTotal: _g,
    gasPerTrade: _gt,
    gasSetup: _gs,
    gasByFunction: _gf,
    ...summary
  } = d.summary;
  return {
    summary,
    periods: d.periods.map(({ chainPeriod: _p, chainStart: _s, gas: _gas, gasByFunction: _f, wallMs: _ms, ...r }) => r),
    generators: d.generators,
    lines: d.lines,
    caseText: d.caseText,
  };
}

describe("a day on the market (oracle/agents/day.ts)", function () {
  let day: DayResult;
  let dir: string;

  before(async () => {
    day = await shortDay("a");
    dir = mkdtempSync(join(tmpdir(), "gridswap-day-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("trades: congestion cleared by redispatch, offers filled, under-delivered, settled after the day", () => {
    const s = day.summary;
    expect(s.periods).to.equal(4);
    expect(day.periods.map((r) => r.localTime)).to.deep.equal(["10:00", "10:30", "11:00", "11:30"]);
    expect(s.congestedPeriods).to.be.at.least(1);
    expect(s.clearedByPlanPeriods).to.equal(s.congestedPeriods);
    expect(s.trades).to.be.at.least(2);
    expect(s.openPositions).to.equal(0);
    expect(s.tailPeriods).to.be.at.least(1);
    // The node-2 generator is the partial one (50–90 % of each commitment).
    const node2 = day.generators.find((g) => g.node === 2)!;
    expect(node2.behaviour).to.equal("partial");
    expect(node2.fills).to.be.at.least(1);
    expect(node2.deliveredKwh / node2.committedKwh).to.be.within(0.5, 0.9);
    expect(node2.kwhPenalty).to.be.above(0);
    expect(s.deliveryRatio).to.be.above(0).and.below(1);
    // What the generators really did is what the grid saw: the shortfall shows in the delivered flow.
    const traded = day.periods.filter((r) => r.fills > 0);
    expect(traded.some((r) => r.actual.lines > 0)).to.equal(true);
    // …and the summary says so: planned (cleared by the plan) apart from as delivered, each period's lines named.
    const over = day.periods.filter((r) => r.actual.lines > 0);
    expect(s.overLimitAsDeliveredPeriods).to.equal(over.length);
    expect(s.overLimitAsDelivered.map((p) => p.localTime)).to.deep.equal(over.map((r) => r.localTime));
    for (const [k, p] of s.overLimitAsDelivered.entries()) {
      expect(p.lines).to.have.length(over[k].actual.lines);
      for (const name of p.lines) expect(name).to.match(/^\d+-\d+$/);
    }
    expect(s.clearedAsDeliveredPeriods).to.equal(
      day.periods.filter((r) => r.before.lines > 0 && r.actual.lines === 0).length,
    );
    expect(s.clearedAsDeliveredPeriods).to.be.below(s.clearedByPlanPeriods);
    expect(s.congested.map((p) => p.localTime)).to.deep.equal(
      day.periods.filter((r) => r.before.lines > 0).map((r) => r.localTime),
    );
    expect(s.shortfalls.map((g) => g.node)).to.include(2);
    expect(s.offers).to.be.at.least(s.trades!);
    // Per period, the settled USD add up to the summary.
    expect(day.periods.reduce((t, r) => t + (r.usdPaid ?? 0), 0)).to.be.closeTo(s.usdPaid!, 1e-6);
    expect(s.gasTotal).to.be.above(0);
    expect(s.gasPerTrade).to.equal(s.gasTotal! / s.trades!);
  });

  it("conservation: the USD and kWh moved equal the balance changes on chain", async () => {
    const provider = hre.ethers.provider;
    const chain = day.chain!;
    const c = attachContracts(
      Object.fromEntries(CONTRACT_NAMES.map((n) => [n, chain.addresses[n]])) as Record<
        (typeof CONTRACT_NAMES)[number],
        string
      >,
      provider,
    );
    const held = async (address: string): Promise<[bigint, bigint]> => {
      const [usd, wh] = await c.market.balancesOf(address);
      return [usd + (await c.usd.balanceOf(address)), wh + (await c.kwh.balanceOf(address))];
    };
    // The Settled events of the day's books, read here.
    const fills = (await c.market.queryFilter(c.market.filters.Filled(), chain.deployBlock)).filter(
      (f) => Number(f.args.period) >= chain.firstPeriod && Number(f.args.period) < chain.firstPeriod + 4,
    );
    const settled = new Map(
      (await c.market.queryFilter(c.market.filters.Settled(), chain.deployBlock)).map((e) => [
        `${e.args.generator}:${e.args.period}`,
        e.args.settlement,
      ]),
    );
    expect(fills.length).to.equal(day.summary.trades);
    const books = new Set(fills.map((f) => `${f.args.generator}:${f.args.period}`));
    let paid = 0n;
    let toCentre = 0n;
    for (const book of books) {
      const s = settled.get(book);
      expect(s, "every book of the day settled").to.not.equal(undefined);
      paid += s!.usdToGenerator;
      toCentre += s!.paidWh + s!.penaltyWh;
    }
    expect(paid).to.equal(BigInt(day.summary.conservation!.usd.paid));
    expect(Number(paid) / 1e8).to.equal(day.summary.usdPaid);
    expect(Number(toCentre) / 1000).to.equal(day.summary.kwhMoved);

    // Generators start with no USD and their issued kWh; the centre with its USD and no kWh.
    let generatorsUsd = 0n;
    let generatorsWh = 0n;
    for (const g of day.generators) {
      const [usd, wh] = await held(g.address!);
      generatorsUsd += usd;
      generatorsWh += wh;
    }
    const issuedWh = day.generators.reduce((t, g) => t + BigInt(g.kwhIssued) * 1000n, 0n);
    expect(generatorsUsd).to.equal(paid);
    expect(issuedWh - generatorsWh).to.equal(toCentre);
    const [centreUsd, centreWh] = await held(chain.centre);
    expect(BigInt(chain.centreUsdIssued) * 100_000_000n - centreUsd).to.equal(paid);
    expect(centreWh).to.equal(toCentre);
    expect(day.summary.conservation!.ok).to.equal(true);
  });

  it("the same seed gives the same day (all but chain periods, gas and times); another seed another day", async () => {
    const again = await shortDay("a");
    expect(outcome(again)).to.deep.equal(outcome(day));
    const other = await shortDay("d");
    expect(other.generators.map((g) => g.behaviour)).to.not.deep.equal(day.generators.map((g) => g.behaviour));
  });

  it("every post-redispatch AC flow is within its limits, or its period is infeasible naming each line still over", async () => {
    // Also a day with limits that cannot be met: seed34-radial's corridor in the evening, grid side only.
    const radial = await simulateDay({
      case: loadCase(join(ROOT, "cases/seed34-radial.json")),
      date: parseCivilDate("2026-06-15"),
      periods: 48,
      profile: profileOf(householdLike),
      pv: { latitude: 52.5, longitude: 13.4, clouds: 0.3 },
      seed: "radial",
    });
    expect(radial.periods.some((r) => r.redispatch.status === "infeasible")).to.equal(true);
    for (const r of [...day.periods, ...radial.periods]) {
      if (r.violatedLinesAfter.length === 0) continue;
      expect(r.redispatch.status, `${r.localTime}`).to.equal("infeasible");
      for (const v of r.violatedLinesAfter) {
        expect(
          r.redispatch.unmet.map((u) => u.description).some((d) => d.includes(`line ${v.from}-${v.to} `)),
          `${r.localTime}: line ${v.from}-${v.to} over its limit after redispatch but not named`,
        ).to.equal(true);
      }
    }
  });

  describe("outputs", function () {
    let out: string;
    before(async () => {
      out = join(dir, "day");
      await writeDayOutputs(day, out, ["centre: a line"]);
    });

    it("summary.json with the fields checks read, periods.csv/json with one record per period", () => {
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      for (const field of [
        "periods",
        "congestedPeriods",
        "clearedByPlanPeriods",
        "overLimitAsDeliveredPeriods",
        "clearedAsDeliveredPeriods",
        "unmetLimits",
        "redispatchCostUsd",
        "usdPaid",
        "kwhMoved",
        "deliveryRatio",
        "gasTotal",
        "gasPerTrade",
        "wallSeconds",
      ]) {
        expect(summary[field], field).to.be.a("number");
      }
      const csv = readFileSync(join(out, "periods.csv"), "utf8").trim().split("\n");
      expect(csv).to.have.length(5);
      const header = csv[0].split(",");
      expect(header).to.include.members(["demandMW", "pvMW", "linesBefore", "linesAfter", "usdPaid", "gas", "wallMs"]);
      expect(header).to.include.members(["deltaMW_gen2@2", "lmp@27"]);
      csv.slice(1).forEach((row) => expect(row.split(",")).to.have.length(header.length));
      expect(JSON.parse(readFileSync(join(out, "periods.json"), "utf8")).periods).to.have.length(4);
      expect(readFileSync(join(out, "market.log"), "utf8")).to.equal("centre: a line\n");
      expect(JSON.parse(readFileSync(join(out, "case.json"), "utf8")).operation.units).to.have.length(3);
    });

    it("plots: six SVGs, each non-empty and showing its data", () => {
      const svg = (name: string): string => readFileSync(join(out, `${name}.svg`), "utf8");
      for (const name of ["demand", "voltage", "loading", "prices", "payments", "delivery"]) {
        expect(statSync(join(out, `${name}.svg`)).size, name).to.be.above(2000);
        expect(svg(name), name).to.match(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      }
      expect(svg("demand")).to.include("net load");
      expect(svg("loading")).to.include("24-27 (0.75 MW)");
      expect(svg("loading")).to.include("before redispatch");
      expect(svg("prices")).to.include("node 27");
      expect(svg("payments")).to.include("partial");
    });

    describe("report.html in headless Chromium", function () {
      requireChromium();

      it("renders its six plots and the summary with no console error", async () => {
        const { result, errors } = await visit(`file://${join(out, "report.html")}`, async (page) => ({
          title: await page.title(),
          heading: await page.locator("h1").innerText(),
          plots: await page
            .locator("figure svg")
            .evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect()).map((r) => [r.width, r.height])),
          summaryRows: await page.locator("table.summary tr").count(),
          external: (
            await page
              .locator("[src], link[href]")
              .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("src") ?? n.getAttribute("href")))
          ).filter((u) => u && !u.startsWith("data:")),
        }));
        expect(errors).to.deep.equal([]);
        expect(result.title).to.equal("GridSwap day: seed34 2026-06-15");
        expect(result.heading).to.equal("A day on the grid: seed34, 2026-06-15");
        expect(result.plots).to.have.length(6);
        for (const [w, h] of result.plots) expect(w * h).to.be.above(100 * 100);
        expect(result.summaryRows).to.be.at.least(15);
        expect(result.external).to.deep.equal([]);
      });
    });

    it("nothing half-written: a failure while writing leaves the directory as it was", async () => {
      const target = join(dir, "kept");
      mkdirSync(target);
      writeFileSync(join(target, "earlier.txt"), "an earlier run\n");
      // A day whose plots cannot be made: the JSON and CSV are already written (to the temp dir) by then.
      const broken = { ...day, generators: null } as unknown as DayResult;
      let failed = false;
      try {
        await writeDayOutputs(broken, target);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(readdirSync(target)).to.deep.equal(["earlier.txt"]);
      expect(readdirSync(dir).filter((f) => f.includes("partial") || f.includes(".old-"))).to.deep.equal([]);
      // A good day replaces it whole.
      await writeDayOutputs(day, target);
      expect(existsSync(join(target, "earlier.txt"))).to.equal(false);
      expect(existsSync(join(target, "report.html"))).to.equal(true);
    });
  });

  it("bad input is refused before the chain is touched", async () => {
    let connected = false;
    const config: DayConfig = {
      case: loadCase(join(ROOT, "cases/seed34.json")),
      date: parseCivilDate("2026-06-15"),
      periods: 0,
      profile: profileOf(commerceLike),
      pv: { latitude: 52.5, longitude: 13.4, clouds: 0.1 },
      seed: "x",
      chain: async () => {
        connected = true;
        throw new Error("not reached");
      },
    };
    let message = "";
    await simulateDay(config).catch((e: Error) => (message = e.message));
    expect(message).to.equal("the number of periods must be a positive integer, got 0");
    expect(connected).to.equal(false);
  });
});
