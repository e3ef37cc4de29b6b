/**
 * Time-series load flow (oracle/grid/pf/series.ts): over a day of changing injections, every
 * period's solution is the cold solve's (same voltages to 1e-9 p.u., mismatch within tolerance),
 * reached from the previous period with chord steps and fewer Newton iterations; a jump the chord
 * cannot follow falls back to Newton; injections are read into the model by case row.
 */
import { join, resolve } from "node:path";
import { expect } from "chai";
import { loadCase, NetworkModel, runPowerFlow, solvePowerFlow, type PowerCase } from "../../../oracle";
import { injectionsOf } from "../../../oracle/grid/pf/point";
import { injectionsWith, PowerFlowSeries } from "../../../oracle/grid/pf/series";
import { applyForecasts } from "../../../oracle/market/period";
import { parseCivilDate } from "../../../oracle/market/profiles";
import { SeededRandom } from "../../../oracle/market/random";
import { buildDayScenario } from "../../../oracle/market/scenario";
import { householdLike, profileOf } from "../market/profile-fixtures";
import { casePath, requireMatpower } from "../helpers";

const ROOT = resolve(__dirname, "../../..");

function day(c: PowerCase, pvPeakMW?: number) {
  return buildDayScenario(c, {
    date: parseCivilDate("2026-06-15"),
    periods: 48,
    profile: profileOf(householdLike),
    pv: { latitude: 52.5, longitude: 13.4, clouds: 0.4, peakMW: pvPeakMW },
    random: new SeededRandom("series"),
  });
}

/** Runs the day through a series and compares every period with a cold solve of its case. */
function checkDay(c: PowerCase, pvPeakMW?: number): { chord: number; newton: number; cold: number } {
  const s = day(c, pvPeakMW);
  const model = NetworkModel.of(s.case);
  const base = injectionsOf(model, s.case);
  const series = new PowerFlowSeries(model);
  let chord = 0;
  let newton = 0;
  let cold = 0;
  for (let k = 0; k < 48; k++) {
    const f = s.at(k).forecasts;
    const step = series.solve(injectionsWith(model, base, { pd: f.demandMW!.p, qd: f.demandMW!.q, pg: f.outputMW! }));
    const reference = runPowerFlow(applyForecasts(s.case, f), { reuseModel: false });
    const ref = reference.point;
    expect(step.point.mismatch).to.be.below(1e-8);
    let worst = 0;
    for (let i = 0; i < ref.vm.length; i++) {
      worst = Math.max(worst, Math.abs(step.point.vm[i] - ref.vm[i]), Math.abs(step.point.va[i] - ref.va[i]));
    }
    expect(worst, `period ${k}: largest |V| (p.u.) or angle (rad) difference`).to.be.below(1e-9);
    expect(step.point.pg[0]).to.be.closeTo(ref.pg[0], 1e-6);
    if (k > 0) {
      chord += step.chordSteps;
      newton += step.newtonIterations;
      cold += reference.iterations;
    }
  }
  return { chord, newton, cold };
}

describe("time-series load flow (oracle/grid/pf/series.ts)", function () {
  it("seed34 over a day: every period equals the cold solve; chord steps replace most Newton iterations", () => {
    const { chord, newton, cold } = checkDay(loadCase(join(ROOT, "cases/seed34.json")));
    expect(chord).to.be.above(47);
    expect(newton).to.be.below(cold / 2);
  });

  it("wscc9 with 150 MW of rooftop PV: the same", () => {
    const { newton, cold } = checkDay(loadCase(join(ROOT, "cases/wscc9.json")), 150);
    expect(newton).to.be.below(cold / 2);
  });

  describe("a MATPOWER case", function () {
    requireMatpower();
    it("case1354pegase over a day: every period equals the cold solve", () => {
      const { newton, cold } = checkDay(loadCase(casePath("case1354pegase")));
      expect(newton).to.be.below(cold);
    });
  });

  it("a jump the chord cannot follow (demand × 0.3 → × 1.6): Newton finishes, the answer is the cold one", () => {
    const c = loadCase(join(ROOT, "cases/wscc9.json"));
    const model = NetworkModel.of(c);
    const base = injectionsOf(model, c);
    const scaled = (x: number) => ({
      ...base,
      pd: base.pd.map((p) => p * x),
      qd: base.qd.map((q) => q * x),
      pg: base.pg.map((p) => p * x),
    });
    const series = new PowerFlowSeries(model);
    series.solve(scaled(0.3));
    const step = series.solve(scaled(1.6));
    const cold = solvePowerFlow(model, scaled(1.6));
    expect(step.newtonIterations).to.be.above(0);
    step.point.vm.forEach((v, i) => expect(v).to.be.closeTo(cold.vm[i], 1e-9));
    // Without a previous period there is nothing to predict from.
    series.reset();
    expect(series.solve(scaled(1)).chordSteps).to.equal(0);
  });

  it("injectionsWith reads per-row values through the model's maps and checks their count", () => {
    const c = loadCase(join(ROOT, "cases/seed34.json"));
    const model = NetworkModel.of(c);
    const base = injectionsOf(model, c);
    const pd = c.bus.map((_, i) => i + 0.5);
    const inj = injectionsWith(model, base, { pd });
    for (let i = 0; i < model.index.buses.count; i++) expect(inj.pd[i]).to.equal(pd[model.index.buses.row[i]]);
    expect(inj.qd).to.equal(base.qd);
    expect(() => injectionsWith(model, base, { pg: [1, 2] })).to.throw(RangeError, "expected 4 values");
  });
});
