/**
 * Bids as the study's costs and capacities and the selection among them (oracle/market/bids.ts,
 * through runPeriod) on seed34, the paper's microgrid: three generators bid (raise at node 2,
 * lower at 27 and 34) and the redispatch chooses the cheapest set of steps that relieves lines
 * 11-14, 14-17 and 24-27.
 *
 * What is checked, and how independently of the code under test:
 * - "cheapest" from the prices, step by step (LP optimality): a step fully taken asks no more than
 *   the value of its move at its node (±LMP), a step left asks no less, the one partly taken asks
 *   exactly that value — and the congestion is gone in a fresh AC load flow of the adjusted case;
 *   raising one bid above another moves the selection to the other.
 * - the quantities: the steps taken at a node add up to its offer's Wh, cheapest first.
 * - the prices: pay-as-bid pays each step its own price, nodal the node's LMP (never below the
 *   bid), and both add up to the unit's offer.
 * - the rules: units nobody bid for keep the operation data's terms (the same move as without
 *   bids), bids replace a unit's ramp, ties go by address, bids that cannot be used are set aside
 *   with the reason, bad bids are refused with the field named, and the input's order is irrelevant.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect } from "chai";
import {
  BidDataError,
  checkLimits,
  exportRedispatchOpf,
  GEN,
  adjustedCase,
  parseJsonCase,
  runPeriod,
  runPowerFlow,
  type Bid,
  type PeriodResult,
  type PowerCase,
  type PricingRule,
} from "../../../oracle";
import { offerWh } from "../../../oracle/market/bids";

const SEED34 = resolve(__dirname, "../../../cases/seed34.json");
/** 2026-01-01T00:00:00Z, a period boundary (no clock in the tests): delivery period 981,792 of 1800 s. */
const START = 1_767_225_600;
const PERIOD = START / 1800;
const PRICE_TOL = 1e-6;

const seed34 = (): PowerCase => parseJsonCase(readFileSync(SEED34, "utf8"), SEED34);
const withRule = (c: PowerCase, pricingRule: PricingRule): PowerCase => ({
  ...c,
  operation: { ...c.operation!, pricingRule },
});
const address = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

/** Generators by node (their addresses sort 2 < 27 < 34, 27b = 0x…ff27 last). */
const GEN2 = address(2);
const GEN27 = address(27);
const GEN27B = address(0xff27);
const GEN34 = address(34);

function bid(generator: string, node: number, up: [number, number][], down: [number, number][], first = PERIOD): Bid {
  const steps = (list: [number, number][]) =>
    list.map(([quantityWh, priceUsdPerMWh]) => ({ quantityWh, priceUsdPerMWh }));
  return { generator, node, firstPeriod: first, lastPeriod: first, up: steps(up), down: steps(down) };
}

/** Three generators bid: 13 kWh up at node 2 for 106; 1 + 10 kWh down at 27 for 14 and 18; 20 kWh down at 34 for 35. */
const THREE: Bid[] = [
  bid(GEN2, 2, [[13_000, 106]], []),
  bid(
    GEN27,
    27,
    [],
    [
      [1_000, 14],
      [10_000, 18],
    ],
  ),
  bid(GEN34, 34, [], [[20_000, 35]]),
];

const study = (c: PowerCase, bids?: readonly Bid[]): Promise<PeriodResult> =>
  runPeriod(c, { periodStart: START }, bids ? { bids } : {});

const lmp = (r: PeriodResult, node: number): number => r.prices.find((p) => p.bus === node)!.total;

/** Wh selected from (generator, direction, step). */
function taken(r: PeriodResult, generator: string, direction: "increase" | "decrease", step: number): number {
  const s = r.bids!.selection.steps.find(
    (x) => x.generator === generator && x.direction === direction && x.step === step,
  );
  return s?.quantityWh ?? 0;
}

/**
 * LP optimality of the selection, step by step: the value of a step's move at its node is LMP
 * (raise) or −LMP (lower); a full step asks ≤ it, an untouched one ≥ it, a partial one = it.
 */
function expectCheapest(r: PeriodResult): void {
  expect(r.redispatch.converged, "the rounds converged").to.equal(true);
  for (const unit of r.bids!.units) {
    for (const direction of ["increase", "decrease"] as const) {
      const value = direction === "increase" ? lmp(r, unit.node) : -lmp(r, unit.node);
      for (const s of direction === "increase" ? unit.up : unit.down) {
        const q = taken(r, s.generator, direction, s.step);
        const where = `${s.generator} ${direction} step ${s.step} at ${s.priceUsdPerMWh} (value ${value.toFixed(4)}), ${q} of ${s.quantityWh} Wh`;
        if (q === s.quantityWh) expect(s.priceUsdPerMWh, where).to.be.at.most(value + PRICE_TOL);
        else if (q === 0) expect(s.priceUsdPerMWh, where).to.be.at.least(value - PRICE_TOL);
        else expect(s.priceUsdPerMWh, where).to.be.closeTo(value, PRICE_TOL);
      }
    }
  }
}

/** The congestion is gone in a fresh AC load flow of the adjusted case. */
function expectRelieved(c: PowerCase, r: PeriodResult): void {
  expect(r.violations.lines.length, "the schedule has violations to relieve").to.be.greaterThan(0);
  expect(r.redispatch.status).to.equal("solved");
  const adjusted = adjustedCase(c, r.redispatch);
  const report = checkLimits(adjusted, runPowerFlow(adjusted), c.operation);
  expect(report.lines, "lines over a limit after the selection").to.deep.equal([]);
}

describe("bids: the study's costs and capacities, and the selection", () => {
  let c: PowerCase;
  let three: PeriodResult;
  before(async () => {
    c = seed34();
    three = await study(c, THREE);
  });

  it("three generators bid: the cheapest steps that relieve the congestion are selected, step by step", () => {
    expectRelieved(c, three);
    expectCheapest(three);
    // Raise node 2 by its whole step (its Pmax), lower node 27 by its cheap step and part of the next.
    const steps = three.bids!.selection.steps.map((s) => [s.generator, s.direction, s.step, s.quantityWh]);
    expect(steps).to.deep.equal([
      [GEN2, "increase", 0, 13_000],
      [GEN27, "decrease", 0, 1_000],
      [GEN27, "decrease", 1, 953],
    ]);
    expect(taken(three, GEN34, "decrease", 0), "the PV's dearer relief is left").to.equal(0);
    expect(three.bids!.fallback).to.deep.equal([]);
    expect(three.bids!.setAside).to.deep.equal([]);
  });

  it("the Wh taken at a node add up to its offer, cheapest step first", () => {
    for (const o of three.offers) {
      const atNode = three.bids!.selection.steps.filter((s) => s.node === o.node);
      expect(
        atNode.reduce((sum, s) => sum + s.quantityWh, 0),
        `node ${o.node}`,
      ).to.equal(offerWh(o));
      expect(new Set(atNode.map((s) => s.direction)), `node ${o.node}`).to.deep.equal(new Set([o.direction]));
    }
  });

  it("a dearer bid at 27 moves the relief to the PV at 34", async () => {
    const dearer = THREE.map((b) =>
      b.node === 27
        ? bid(
            GEN27,
            27,
            [],
            [
              [1_000, 50],
              [10_000, 60],
            ],
          )
        : b,
    );
    const r = await study(c, dearer);
    expectRelieved(c, r);
    expectCheapest(r);
    expect(r.bids!.selection.steps.map((s) => [s.generator, s.direction, s.step])).to.deep.equal([
      [GEN2, "increase", 0],
      [GEN34, "decrease", 0],
    ]);
    expect(taken(r, GEN27, "decrease", 0)).to.equal(0);
  });

  it("nodal pricing pays each selected step its node's LMP, never below its bid; the steps add up to the offers", () => {
    expect(three.bids!.selection.pricingRule).to.equal("nodal");
    for (const s of three.bids!.selection.steps) {
      const value = s.direction === "increase" ? lmp(three, s.node) : -lmp(three, s.node);
      expect(s.nodalUsdPerMWh, `${s.generator}`).to.be.closeTo(value, PRICE_TOL);
      expect(s.priceUsdPerMWh).to.equal(Math.max(s.nodalUsdPerMWh, s.bidUsdPerMWh));
      expect(s.priceUsdPerMWh).to.be.at.least(s.bidUsdPerMWh);
    }
    // Node 2's step is bounded by its quantity: paid the node's LMP, far above its bid.
    expect(three.bids!.selection.steps[0].priceUsdPerMWh).to.be.greaterThan(600);
    expectStepsAddUpToOffers(three);
  });

  it("pay-as-bid pays each selected step its own bid, with the same selection; the steps add up to the offers", async () => {
    const r = await study(withRule(c, "pay-as-bid"), THREE);
    expect(r.bids!.selection.pricingRule).to.equal("pay-as-bid");
    expect(r.bids!.selection.steps.map((s) => [s.generator, s.step, s.quantityWh])).to.deep.equal(
      three.bids!.selection.steps.map((s) => [s.generator, s.step, s.quantityWh]),
    );
    for (const s of r.bids!.selection.steps) expect(s.priceUsdPerMWh).to.equal(s.bidUsdPerMWh);
    expectStepsAddUpToOffers(r);
    // The unit at 27 asks the mean of its steps' own prices: 1,000 Wh at 14 and the rest at 18.
    const at27 = r.offers.find((o) => o.node === 27)!;
    const rest = at27.kwh * 1000 - 1_000;
    expect(at27.bidUsdPerMWh).to.be.closeTo((1_000 * 14 + rest * 18) / (at27.kwh * 1000), 1e-9);
  });

  it("a unit nobody bid for keeps the operation data's terms: the same move as without bids, offered as before", async () => {
    const none = await study(c);
    const r = await study(
      c,
      THREE.filter((b) => b.node !== 2),
    );
    expect(r.bids!.fallback).to.deep.equal([2]);
    const gen2 = (x: PeriodResult) => x.redispatch.adjustments.find((a) => a.unit.genRow === 2)!;
    expect(gen2(r).deltaMW).to.be.closeTo(gen2(none).deltaMW, 1e-9);
    expect(gen2(r).bidPrice).to.equal(105);
    expect(r.bids!.selection.fallbackOffers.map((o) => o.genRow)).to.deep.equal([2]);
    expect(r.bids!.selection.steps.every((s) => s.node !== 2)).to.equal(true);
    expectCheapest(r);
  });

  it("bids replace a unit's ramp: 500 Wh offered at 27 is all it moves, the PV makes up the rest", async () => {
    const small = THREE.map((b) => (b.node === 27 ? bid(GEN27, 27, [], [[500, 14]]) : b));
    const r = await study(c, small);
    expectRelieved(c, r);
    expectCheapest(r);
    expect(taken(r, GEN27, "decrease", 0)).to.equal(500);
    expect(taken(r, GEN34, "decrease", 0)).to.be.greaterThan(0);
    const move27 = r.redispatch.adjustments.find((a) => a.unit.genRow === 3)!;
    expect(-move27.deltaMW).to.be.at.most(500 / 1e6 / 0.5 + 1e-12);
  });

  it("two generators at one node share its curve by price; a tie goes to the lower address first", async () => {
    const shared = [
      ...THREE.filter((b) => b.node !== 27),
      bid(GEN27B, 27, [], [[1_000, 14]]),
      bid(GEN27, 27, [], [[1_000, 14]]),
    ];
    const r = await study(c, shared);
    expectCheapest(r);
    expect(taken(r, GEN27, "decrease", 0)).to.equal(1_000);
    expect(taken(r, GEN27B, "decrease", 0)).to.equal(953);
    const unit = r.bids!.units.find((u) => u.node === 27)!;
    expect(unit.down.map((s) => s.generator)).to.deep.equal([GEN27, GEN27B]);
  });

  it("the MATPOWER export of a study with bids writes each bid unit's curve as its piecewise-linear cost", () => {
    const { data } = exportRedispatchOpf(c, c.operation!, three);
    const row = (genRow: number) => data.gencost[data.genRows.indexOf(genRow)];
    const pg = (genRow: number) => data.gen[data.genRows.indexOf(genRow)][GEN.PG];
    // Node 27 lowers: 1,000 Wh at 14 then 10,000 Wh at 18 over half an hour (0.002 and 0.02 MW).
    const at27 = row(3);
    const expected27 = [1, 0, 0, 3, pg(3) - 0.022, 0.002 * 14 + 0.02 * 18, pg(3) - 0.002, 0.002 * 14, pg(3), 0];
    at27
      .slice(0, expected27.length)
      .forEach((x, i) => expect(x, `gen 3 gencost[${i}]`).to.be.closeTo(expected27[i], 1e-12));
    // Node 2 raises: 13,000 Wh at 106 (0.026 MW), nothing down.
    const expected2 = [1, 0, 0, 2, pg(2), 0, pg(2) + 0.026, 0.026 * 106];
    row(2)
      .slice(0, expected2.length)
      .forEach((x, i) => expect(x, `gen 2 gencost[${i}]`).to.be.closeTo(expected2[i], 1e-12));
  });

  it("the order of the bids given does not change the selection (anyone reading the events may list them otherwise)", async () => {
    const r = await study(c, [...THREE].reverse());
    expect(r.bids!.selection).to.deep.equal(three.bids!.selection);
  });

  it("bids for other periods are not in this auction; a range covering the period is", async () => {
    const r = await study(c, [
      bid(GEN2, 2, [[13_000, 106]], [], PERIOD + 1),
      { ...bid(GEN27, 27, [], [[1_000, 14]]), firstPeriod: PERIOD - 3, lastPeriod: PERIOD + 3 },
    ]);
    expect(r.bids!.fallback).to.deep.equal([2, 4]);
    expect(r.bids!.units.map((u) => u.node)).to.deep.equal([27]);
  });

  it("sets aside, with the reason, bids at a node without a market unit and steps at or above the limit-violation price", async () => {
    const cheapLimit: PowerCase = { ...c, operation: { ...c.operation!, limitViolationPrice: 500 } };
    const r = await study(cheapLimit, [
      bid(address(5), 5, [[1_000, 100]], []),
      bid(address(1), 1, [[1_000, 100]], []),
      bid(
        GEN2,
        2,
        [
          [13_000, 106],
          [1_000, 600],
        ],
        [],
      ),
    ]);
    expect(r.bids!.setAside).to.deep.equal([
      { generator: address(5), node: 5, reason: "node 5 has no redispatchable unit in the operation data" },
      { generator: address(1), node: 1, reason: "node 1 has no redispatchable unit in the operation data" },
      { generator: GEN2, node: 2, reason: "up step 1 asks 600 USD/MWh, not below the limit-violation price 500" },
    ]);
    expect(r.bids!.units[0].up.map((s) => s.priceUsdPerMWh)).to.deep.equal([106]);
  });

  it("refuses bad bids with the problem named, and two bids of one generator covering the period", async () => {
    const bad: [Bid, RegExp][] = [
      [{ ...bid(GEN27, 27, [], [[1_000, 14]]), generator: "0x27" }, /0x address/],
      [bid(GEN27, 0, [], [[1_000, 14]]), /node must be a bus number/],
      [{ ...bid(GEN27, 27, [], [[1_000, 14]]), lastPeriod: PERIOD - 1 }, /not a range/],
      [bid(GEN27, 27, [], []), /no steps/],
      [bid(GEN27, 27, [], [[0, 14]]), /down step 0 must offer a whole number of Wh > 0/],
      [bid(GEN27, 27, [], [[1.5, 14]]), /whole number of Wh/],
      [bid(GEN27, 27, [[1, -3]], []), /up step 0 must ask a price > 0/],
      [
        bid(
          GEN27,
          27,
          [],
          [
            [1, 14],
            [1, 14],
          ],
        ),
        /down step 1 must ask more than step 0/,
      ],
    ];
    for (const [b, message] of bad) {
      const e = await study(c, [b]).then(
        () => undefined,
        (x: Error) => x,
      );
      expect(e, message.source).to.be.instanceOf(BidDataError);
      expect(e!.message).to.match(message);
    }
    const twice = await study(c, [
      bid(GEN27, 27, [], [[1, 14]]),
      bid(GEN27.toUpperCase().replace("0X", "0x"), 27, [], [[1, 15]]),
    ]).then(
      () => undefined,
      (x: Error) => x,
    );
    expect(twice?.message).to.match(/two bids covering period 981792/);
  });
});

/** Each unit's offer (USD) = the sum of its selected steps (Wh · price) under the same rule. */
function expectStepsAddUpToOffers(r: PeriodResult): void {
  for (const o of r.offers) {
    const usd = r
      .bids!.selection.steps.filter((s) => s.node === o.node)
      .reduce((sum, s) => sum + (s.quantityWh / 1e6) * s.priceUsdPerMWh, 0);
    // The offer's kWh is the LP's move; the steps' Wh are its rounding to whole Wh.
    expect(usd, `node ${o.node}`).to.be.closeTo(o.usd, (0.5 / 1e6) * o.priceUsdPerMWh + 1e-9);
  }
}
