/** Helpers shared by the redispatch tests (split by concern). */
import { resolve } from "node:path";
import { expect } from "chai";
import {
  BRANCH,
  GEN,
  checkLimits,
  meanActiveFlow,
  NetworkModel,
  adjustedCase,
  marketModel,
  redispatch,
  runPowerFlow,
  type NodalPrice,
  type OperationData,
  type PeriodResult,
  type PowerCase,
  type PowerFlowResult,
  type Redispatch,
  type RedispatchOptions,
} from "../../../oracle";
import { worstBusImbalance } from "../helpers";

export const SEED34 = resolve(__dirname, "../../../cases/seed34.json");
/** 2026-01-01T00:00:00Z, a period boundary: every run is pinned to it (no clock in the tests). */
export const START = 1_767_225_600;
/** Duals and prices from HiGHS are optimal to its tolerances (1e-7); compare prices to this, USD/MWh. */
export const PRICE_TOL = 1e-6;
export const PRICE_TOL_CONVERGED = PRICE_TOL;
/** MW: units' bounds are LP column bounds, met to round-off. */
export const MW_TOL = 1e-9;

/** A copy of `rows` with column `column` of row `row` set to `value`. */
export function setCell(rows: readonly (readonly number[])[], row: number, column: number, value: number): number[][] {
  return rows.map((r, i) => (i === row ? r.map((x, k) => (k === column ? value : x)) : [...r]));
}

export function operationOf(c: PowerCase): OperationData {
  if (!c.operation) throw new Error(`${c.name} has no operation data`);
  return c.operation;
}

/** The redispatch of case `c` (with its operation data) from its load flow `flow`: the test's edge adapter. */
export function redispatchCase(
  c: PowerCase,
  flow: PowerFlowResult,
  options: RedispatchOptions = {},
): Promise<Redispatch> {
  const network = flow.point.model;
  expect(network, "the load flow is of this case's network").to.equal(NetworkModel.of(c));
  return redispatch(flow.point, marketModel(network, c, operationOf(c)), options);
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  expect.fail("expected a rejection");
}

export function priceAt(prices: readonly NodalPrice[], bus: number): number {
  const p = prices.find((x) => x.bus === bus);
  if (!p) throw new Error(`no price for bus ${bus}`);
  return p.total;
}

/**
 * The AC load flow after redispatch, judged from scratch: solve the adjusted case again, check it
 * against the original limits (not the redispatch's own report) and against Kirchhoff's law.
 */
export function expectAcConfirmed(label: string, schedule: PowerCase, rd: Redispatch): PowerFlowResult {
  const adjusted = adjustedCase(schedule, rd);
  const fresh = runPowerFlow(adjusted);
  // The reported load flow is the adjusted case's.
  // Redispatch re-solves warm from the previous round, a fresh solve starts cold: both meet the
  // load flow's tolerance (1e-8 p.u.), so they agree to the same bound as Kirchhoff's law below.
  const flowTolerance = 1e-6 * schedule.baseMVA;
  fresh.branches.forEach((b, l) => {
    expect(rd.loadFlow.branches[l].pf, `${label}: reported flow, row ${l + 1}`).to.be.closeTo(b.pf, flowTolerance);
    expect(rd.loadFlow.branches[l].pt, `${label}: reported flow, row ${l + 1}`).to.be.closeTo(b.pt, flowTolerance);
  });
  const report = checkLimits(adjusted, fresh, schedule.operation);
  expect(report.lines, `${label}: lines over a limit after redispatch`).to.deep.equal([]);
  expect(report.voltages, `${label}: voltages after redispatch`).to.deep.equal([]);
  expect(report.frequency?.violated ?? false, `${label}: frequency after redispatch`).to.equal(false);
  expect(rd.violations.ok, `${label}: redispatch's own report`).to.equal(true);
  // And directly, without checkLimits: every limited in-service line's mean flow is within it.
  const limits = operationOf(schedule).branchActiveLimitMW;
  fresh.branches.forEach((b, l) => {
    if (limits[l] > 0 && schedule.branch[l][BRANCH.BR_STATUS] !== 0) {
      expect(Math.abs(meanActiveFlow(b)), `${label}: row ${l + 1}`).to.be.at.most(limits[l] + 1e-6);
    }
  });
  const baseMVA = schedule.baseMVA;
  expect(worstBusImbalance(adjusted, fresh), `${label}: bus imbalance (MW/MVAr)`).to.be.below(1e-6 * baseMVA);
  expect(worstBusImbalance(adjusted, rd.loadFlow), `${label}: bus imbalance (MW/MVAr)`).to.be.below(1e-6 * baseMVA);
  return fresh;
}

/** Each adjustment is a listed unit, within its ramp, [Pmin, Pmax] and (renewable) its forecast; nothing else moved. */
export function expectAdjustmentsWithinBounds(label: string, schedule: PowerCase, rd: Redispatch): void {
  const op = operationOf(schedule);
  const adjusted = adjustedCase(schedule, rd);
  for (const a of rd.adjustments) {
    const unit = op.units.find((u) => u.gen === a.unit.genRow);
    expect(unit, `${label}: gen ${a.unit.genRow} is a redispatch unit`).to.not.equal(undefined);
    if (!unit) continue;
    const g = schedule.gen[a.unit.genRow - 1];
    const where = `${label}: gen ${a.unit.genRow} at bus ${a.unit.busId}`;
    expect(a.unit.busId, where).to.equal(g[GEN.GEN_BUS]);
    expect(a.unit.kind, where).to.equal(unit.kind);
    expect(a.scheduledMW, `${where}: scheduled = schedule's Pg`).to.equal(g[GEN.PG]);
    expect(a.deltaMW, where).to.be.closeTo(a.adjustedMW - a.scheduledMW, 1e-12);
    expect(adjusted.gen[a.unit.genRow - 1][GEN.PG], `${where}: adjusted case`).to.be.closeTo(a.adjustedMW, 1e-12);
    expect(Math.abs(a.deltaMW), `${where}: ramp`).to.be.at.most(unit.rampMW + MW_TOL);
    expect(a.adjustedMW, `${where}: Pmin`).to.be.at.least(g[GEN.PMIN] - MW_TOL);
    expect(a.adjustedMW, `${where}: Pmax`).to.be.at.most(g[GEN.PMAX] + MW_TOL);
    if (unit.kind === "renewable") expect(a.adjustedMW, `${where}: forecast`).to.be.at.most(g[GEN.PG] + MW_TOL);
    expect(a.bidPrice, where).to.equal(a.deltaMW > 0 ? unit.upPrice : unit.downPrice);
  }
  // Units without an adjustment kept their scheduled output.
  schedule.gen.forEach((g, k) => {
    if (!rd.adjustments.some((a) => a.unit.genRow === k + 1)) {
      expect(Math.abs(adjusted.gen[k][GEN.PG] - g[GEN.PG]), `${label}: gen ${k + 1} unchanged`).to.be.at.most(1e-9);
    }
  });
}

/** Offers: one per adjustment, sized and priced by the formulas in oracle/market/prices.ts. */
export function expectOffers(label: string, r: PeriodResult): void {
  const rd = r.redispatch;
  const minutes = r.period.minutes;
  expect(
    r.offers.map((o) => o.genRow),
    label,
  ).to.deep.equal(rd.adjustments.map((a) => a.unit.genRow));
  r.offers.forEach((o, k) => {
    const a = rd.adjustments[k];
    const where = `${label}: offer of gen ${o.genRow}`;
    const lmp = priceAt(r.prices, a.unit.busId);
    expect(o.node, where).to.equal(a.unit.busId);
    expect(o.direction, where).to.equal(a.deltaMW > 0 ? "increase" : "decrease");
    expect(o.mw, where).to.equal(Math.abs(a.deltaMW));
    expect(o.kwh, `${where}: kWh = |ΔMW|·1000·T`).to.be.closeTo((Math.abs(a.deltaMW) * 1000 * minutes) / 60, 1e-9);
    expect(o.nodalUsdPerMWh, `${where}: ±LMP at its bus`).to.equal(a.deltaMW > 0 ? lmp : -lmp);
    expect(o.pricingRule, where).to.equal("nodal");
    expect(o.priceUsdPerMWh, `${where}: its nodal value, never below its bid`).to.equal(
      Math.max(o.nodalUsdPerMWh, a.bidPrice),
    );
    expect(o.usd, `${where}: USD = kWh/1000·price`).to.be.closeTo((o.kwh / 1000) * o.priceUsdPerMWh, 1e-9);
    expect(o.bidUsdPerMWh, where).to.equal(a.bidPrice);
    expect(o.priceUsdPerMWh, `${where}: price ≥ bid`).to.be.at.least(o.bidUsdPerMWh - PRICE_TOL);
    expect([o.periodStart, o.periodEnd], where).to.deep.equal([r.period.start, r.period.end]);
  });
}

/**
 * LP optimality read from the nodal prices (reduced costs): with π the value of one more MWh
 * injected at a unit's bus (its LMP), raising it costs up − π and lowering it down + π. At the
 * optimum a unit moved strictly inside its range is marginal (its bid equals its nodal value),
 * and a direction left unused while there was room must not pay (bid ≥ nodal value).
 */
export function expectNoProfitableMove(label: string, schedule: PowerCase, rd: Redispatch, prices: NodalPrice[]): void {
  // Rounds that stopped along a nearly flat optimum hold some units a little short of it: within
  // 0.5 % of their bids (case118 with 10 lines: 0.09 USD/MWh at 45).
  const PRICE_TOL = rd.converged
    ? PRICE_TOL_CONVERGED
    : 0.005 * Math.max(...operationOf(schedule).units.map((u) => u.upPrice));
  for (const u of operationOf(schedule).units) {
    const g = schedule.gen[u.gen - 1];
    const pg = g[GEN.PG];
    const pmax = u.kind === "renewable" ? pg : g[GEN.PMAX];
    const upRoom = Math.max(0, Math.min(u.rampMW, pmax - pg));
    const downRoom = Math.max(0, Math.min(u.rampMW, pg - g[GEN.PMIN]));
    const delta = rd.adjustments.find((a) => a.unit.genRow === u.gen)?.deltaMW ?? 0;
    const lmp = priceAt(prices, g[GEN.GEN_BUS]);
    const where = `${label}: gen ${u.gen} (Δ ${delta.toFixed(6)} MW, LMP ${lmp.toFixed(4)})`;
    if (delta > 0) {
      expect(lmp, `${where}: paid at least its up bid`).to.be.at.least(u.upPrice - PRICE_TOL);
      if (delta < upRoom - 1e-7) expect(lmp, `${where}: marginal`).to.be.closeTo(u.upPrice, PRICE_TOL);
    } else if (upRoom > 1e-7) {
      expect(lmp, `${where}: raising it would not pay`).to.be.at.most(u.upPrice + PRICE_TOL);
    }
    if (delta < 0) {
      expect(-lmp, `${where}: paid at least its down bid`).to.be.at.least(u.downPrice - PRICE_TOL);
      if (-delta < downRoom - 1e-7) expect(-lmp, `${where}: marginal`).to.be.closeTo(u.downPrice, PRICE_TOL);
    } else if (downRoom > 1e-7) {
      expect(-lmp, `${where}: lowering it would not pay`).to.be.at.most(u.downPrice + PRICE_TOL);
    }
  }
}
