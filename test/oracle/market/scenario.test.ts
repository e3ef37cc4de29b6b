/**
 * A day's scenario for any case (oracle/market/scenario.ts): demand shaped by the profile with
 * every bus peaking at its PD, PV units and rooftop PV, schedules that give back the case itself
 * at the case's own load, operation data derived at the peak for a case without any, the market
 * units chosen by relief — and the cases a day cannot be simulated on, refused by name.
 */
import { join, resolve } from "node:path";
import { expect } from "chai";
import { acFlowSensitivities, BUS, GEN, loadCase, runPowerFlow, type PowerCase } from "../../../oracle";
import { applyForecasts } from "../../../oracle/market/period";
import { parseCivilDate } from "../../../oracle/market/profiles";
import { SeededRandom } from "../../../oracle/market/random";
import {
  buildDayScenario,
  centralEuropeanOffset,
  ScenarioError,
  type DayScenarioOptions,
} from "../../../oracle/market/scenario";
import { casePath, requireMatpower } from "../helpers";
import { householdLike, profileOf } from "./profile-fixtures";

const ROOT = resolve(__dirname, "../../..");
const seed34 = (): PowerCase => loadCase(join(ROOT, "cases/seed34.json"));
const wscc9 = (): PowerCase => loadCase(join(ROOT, "cases/wscc9.json"));
const JUNE_15 = parseCivilDate("2026-06-15");

const options = (o: Partial<DayScenarioOptions> = {}): DayScenarioOptions => ({
  date: JUNE_15,
  periods: 48,
  profile: profileOf(householdLike),
  pv: { latitude: 52.5, longitude: 13.4, clouds: 0.3 },
  random: new SeededRandom("scenario"),
  ...o,
});

describe("day scenario (oracle/market/scenario.ts)", function () {
  it("demand: every bus peaks at its PD over the day, and keeps its power factor", () => {
    const c = seed34();
    const s = buildDayScenario(c, options());
    const day = s.periods.slice(s.first, s.first + 48);
    expect(day.map((p) => p.localTime).slice(0, 3)).to.deep.equal(["00:00", "00:30", "01:00"]);
    expect(Math.max(...day.map((p) => p.demandScale))).to.equal(1);
    c.bus.forEach((b, i) => {
      const p = day.map((x) => x.forecasts.demandMW!.p[i]);
      expect(Math.max(...p), `bus ${b[BUS.BUS_I]}`).to.be.closeTo(b[BUS.PD], 1e-12);
      day.forEach((x) =>
        expect(x.forecasts.demandMW!.q[i] * b[BUS.PD]).to.be.closeTo(x.forecasts.demandMW!.p[i] * b[BUS.QD], 1e-12),
      );
    });
    // 00:00 local in summer is 22:00 UTC the day before.
    expect(new Date(day[0].utcStart * 1000).toISOString()).to.equal("2026-06-14T22:00:00.000Z");
  });

  it("PV units follow rating × availability — none at night — and --pv-peak-mw rescales the ratings", () => {
    const s = buildDayScenario(seed34(), options());
    expect(s.pv).to.deep.include({ kind: "units", ratedMW: 0.6, genRows: [4] });
    const at = (h: string): number => s.periods.findIndex((p) => p.localTime === h && p.index >= 0);
    const pv = (sc: typeof s, i: number): number => sc.periods[i].forecasts.outputMW![3];
    expect(pv(s, at("01:00"))).to.equal(0);
    const noon = s.periods[at("13:00")];
    expect(noon.pvMW).to.be.closeTo(0.6 * noon.pvAvailability, 1e-12);
    expect(pv(s, at("13:00"))).to.be.closeTo(noon.pvMW, 1e-12);
    expect(noon.pvAvailability).to.be.within(0.5, 1);

    const doubled = buildDayScenario(
      seed34(),
      options({ pv: { latitude: 52.5, longitude: 13.4, clouds: 0.3, peakMW: 1.2 } }),
    );
    expect(doubled.case.gen[3][GEN.PMAX]).to.be.closeTo(1.2, 1e-12);
    expect(pv(doubled, at("13:00"))).to.be.closeTo(2 * pv(s, at("13:00")), 1e-12);
  });

  it("schedules: with a flat profile and no PV, every period is the case's own schedule", () => {
    const c = seed34();
    const s = buildDayScenario(
      c,
      options({ profile: profileOf(() => 30), pv: { latitude: 52.5, longitude: 13.4, clouds: 0, peakMW: 0 } }),
    );
    for (const p of s.periods) {
      expect(p.scheduleFactor).to.be.closeTo(1, 1e-9);
      expect(p.forecasts.outputMW![1]).to.be.closeTo(c.gen[1][GEN.PG], 1e-9);
      expect(p.forecasts.outputMW![2]).to.be.closeTo(c.gen[2][GEN.PG], 1e-9);
      expect(p.forecasts.outputMW![3]).to.equal(0);
    }
  });

  it("schedules follow the net load and leave the master near its share: within [Pmin, Pmax] all day on seed34", () => {
    const c = seed34();
    const s = buildDayScenario(c, options());
    for (const p of s.periods.slice(s.first, s.first + 48)) {
      const flow = runPowerFlow(applyForecasts(s.case, p.forecasts));
      expect(flow.gens[0].pg, p.localTime).to.be.within(c.gen[0][GEN.PMIN], c.gen[0][GEN.PMAX]);
      for (const k of [1, 2]) expect(p.forecasts.outputMW![k]).to.be.within(c.gen[k][GEN.PMIN], c.gen[k][GEN.PMAX]);
    }
  });

  it("rooftop PV on a case without PV units: netted from demand in proportion to it, reactive demand untouched", () => {
    const c = wscc9();
    const s = buildDayScenario(c, options({ pv: { latitude: 52.5, longitude: 13.4, clouds: 0.2, peakMW: 100 } }));
    expect(s.pv).to.deep.include({ kind: "rooftop", ratedMW: 100, buses: [5, 7, 9] });
    const demand = c.bus.reduce((t, b) => t + b[BUS.PD], 0);
    const noon = s.periods.find((p) => p.localTime === "13:00" && p.index >= 0)!;
    expect(noon.pvMW).to.be.above(30);
    const p = noon.forecasts.demandMW!.p;
    expect(p.reduce((t, x) => t + x, 0)).to.be.closeTo(noon.demandMW - noon.pvMW, 1e-9);
    c.bus.forEach((b, i) => {
      expect(p[i]).to.be.closeTo(b[BUS.PD] * (noon.demandScale - noon.pvMW / demand), 1e-9);
      expect(noon.forecasts.demandMW!.q[i]).to.be.closeTo(b[BUS.QD] * noon.demandScale, 1e-12);
    });
  });

  it("operation derived at the peak: the most loaded lines limited to a fraction of their flow there", () => {
    const s = buildDayScenario(wscc9(), options({ congestedLines: 2, limitFraction: 0.8 }));
    expect(s.operationDerived).to.equal(true);
    expect(s.limitedLines).to.have.length(2);
    const peak = s.periods.slice(s.first, s.first + 48).reduce((a, b) => (b.netLoadMW > a.netLoadMW ? b : a));
    const flow = runPowerFlow(applyForecasts(s.case, peak.forecasts));
    const mean = (l: number): number => Math.abs((flow.branches[l].pf - flow.branches[l].pt) / 2);
    const limited = s.limitedLines.map((row) => row - 1);
    for (const l of limited) expect(s.case.operation!.branchActiveLimitMW[l]).to.be.closeTo(0.8 * mean(l), 1e-6);
    const others = flow.branches.map((_, l) => l).filter((l) => !limited.includes(l));
    expect(Math.min(...limited.map(mean))).to.be.at.least(Math.max(...others.map(mean)) - 1e-9);
    // wscc9 has no gencost: both non-master units redispatchable at the 5 USD/MWh premium.
    expect(s.case.operation!.units.map((u) => u.gen)).to.deep.equal([2, 3]);
  });

  describe("market units of a MATPOWER case", function () {
    requireMatpower();

    it("case118, 4 units: one per node, none with less relief of the limited lines than a unit left out", () => {
      const c = loadCase(casePath("case118"));
      const s = buildDayScenario(c, options({ marketUnits: 4 }));
      const units = s.case.operation!.units;
      expect(units).to.have.length(4);
      const nodes = units.map((u) => c.gen[u.gen - 1][GEN.GEN_BUS]);
      expect(new Set(nodes).size).to.equal(4);
      // Relief recomputed here: the largest |∂flow/∂P| over the limited lines at the peak.
      const peak = s.periods.slice(s.first, s.first + 48).reduce((a, b) => (b.netLoadMW > a.netLoadMW ? b : a));
      const point = runPowerFlow(applyForecasts(s.case, peak.forecasts)).point;
      const lines = s.limitedLines.map((row) => point.model.branchOfRow[row - 1]);
      const sens = acFlowSensitivities(point, lines);
      const relief = (gen: number): number => {
        const bus = point.model.index.gens.bus[point.model.genOfRow[gen - 1]];
        return Math.max(...sens.matrix.map((row) => Math.abs(row[bus])));
      };
      const all = buildDayScenario(c, options()).case.operation!.units;
      const leftOut = all.filter((u) => !nodes.includes(c.gen[u.gen - 1][GEN.GEN_BUS]));
      const weakestKept = Math.min(...units.map((u) => relief(u.gen)));
      for (const u of leftOut) expect(relief(u.gen), `gen ${u.gen}`).to.be.at.most(weakestKept + 1e-12);
    });

    it("a radial feeder with only its substation unit cannot be simulated (case33bw)", () => {
      expect(() => buildDayScenario(loadCase(casePath("case33bw")), options())).to.throw(
        ScenarioError,
        "case33bw has no redispatchable unit",
      );
    });
  });

  describe("days that cannot be simulated", function () {
    it("no redispatchable unit: every other unit fixed (Pmax = Pmin)", () => {
      const c = wscc9();
      const gen = c.gen.map((g, k) => (k === 0 ? [...g] : g.map((x, j) => (j === GEN.PMIN ? g[GEN.PMAX] : x))));
      expect(() => buildDayScenario({ ...c, gen }, options())).to.throw(
        ScenarioError,
        "wscc9 has no redispatchable unit: every in-service unit is the master (slack) or has Pmax = Pmin",
      );
    });

    it("two islands, each with its own master", () => {
      const bus = (id: number, type: number, pd: number): number[] => [id, type, pd, 0, 0, 0, 1, 1, 0, 10, 1, 1.1, 0.9];
      const branch = (f: number, t: number): number[] => [f, t, 0.01, 0.05, 0, 100, 100, 100, 0, 0, 1, -360, 360];
      const gen = (b: number, pg: number): number[] => [b, pg, 0, 50, -50, 1, 100, 1, 100, 0];
      const c: PowerCase = {
        name: "twins",
        baseMVA: 100,
        bus: [bus(1, 3, 0), bus(2, 1, 20), bus(3, 3, 0), bus(4, 1, 20)],
        gen: [gen(1, 0), gen(3, 0)],
        branch: [branch(1, 2), branch(3, 4)],
      };
      expect(() => buildDayScenario(c, options())).to.throw(ScenarioError, "twins is 2 islands (2, 2 buses)");
    });

    it("demand in an island without a master unit", () => {
      const c = loadCase(join(ROOT, "cases/seed34-radial.json"));
      // Cut the spur towards node 2's side of the feeder: whatever lies beyond it has no master.
      const row = c.branch.findIndex((b) => b[0] === 11 && b[1] === 12);
      const branch = c.branch.map((b, l) => (l === row ? b.map((x, j) => (j === 10 ? 0 : x)) : [...b]));
      expect(() => buildDayScenario({ ...c, branch }, options())).to.throw(
        ScenarioError,
        /carry demand but are in an island without a master unit/,
      );
    });

    it("no periods, or more market units than the case has", () => {
      expect(() => buildDayScenario(seed34(), options({ periods: 0 }))).to.throw(
        ScenarioError,
        "positive integer, got 0",
      );
      expect(() => buildDayScenario(seed34(), options({ marketUnits: 4 }))).to.throw(
        ScenarioError,
        "seed34 has 3 redispatch unit(s): the number of generators must be 1 … 3, got 4",
      );
    });
  });

  it("the same seed gives the same day; another seed other clouds", () => {
    const a = buildDayScenario(seed34(), options());
    const b = buildDayScenario(seed34(), options());
    const other = buildDayScenario(seed34(), options({ random: new SeededRandom("another") }));
    const strip = (s: typeof a): unknown => s.periods.map((p) => ({ ...p }));
    expect(strip(b)).to.deep.equal(strip(a));
    expect(other.periods.map((p) => p.cloudCover)).to.not.deep.equal(a.periods.map((p) => p.cloudCover));
  });

  it("Central European Time: +2 h from the last Sunday of March to the last Sunday of October", () => {
    expect(centralEuropeanOffset(parseCivilDate("2026-03-28"))).to.equal(1);
    expect(centralEuropeanOffset(parseCivilDate("2026-03-29"))).to.equal(2);
    expect(centralEuropeanOffset(parseCivilDate("2026-10-24"))).to.equal(2);
    expect(centralEuropeanOffset(parseCivilDate("2026-10-25"))).to.equal(1);
    expect(centralEuropeanOffset(parseCivilDate("2026-01-15"))).to.equal(1);
  });
});
