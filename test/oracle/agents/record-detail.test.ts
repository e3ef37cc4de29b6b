/**
 * The period record's grid detail (oracle/agents/record-detail.ts) and its two stages
 * (day-record.ts): every line's sensitivities equal the study's own for the lines it priced, the
 * prices add up by component, the detail survives JSON, and a delivered record keeps the studied
 * one and adds the period as it ran.
 */
import { expect } from "chai";
import { join } from "node:path";
import { loadCase } from "../../../oracle";
import { deliveredRecord, limitedLineSet, studiedRecord } from "../../../oracle/agents/day-record";
import { scheduleConditions } from "../../../oracle/agents/period-recorder";
import { allLineSensitivities, DETAIL_MAX_BUSES } from "../../../oracle/agents/record-detail";
import { runPeriod } from "../../../oracle/market/period";

const CASES = join(__dirname, "..", "..", "..", "cases");
const EXTRAS = { chainPeriod: 1000, chainStart: 1_800_000, fills: [], posted: [], auction: null, problems: [] };

describe("the period record's grid detail (oracle/agents/record-detail.ts)", function () {
  it("publishes every line's sensitivities, equal to the study's own for the lines it priced", async function () {
    const c = loadCase(join(CASES, "seed34.json"));
    const study = await runPeriod(c, { periodStart: 1800 * 1000 });
    const r = studiedRecord(scheduleConditions(c, 1000, 1800), study, c, [2, 27, 34], limitedLineSet(c), EXTRAS);
    expect(r.stage).to.equal("studied");
    expect(r.violatedLines.map((l) => `${l.from}-${l.to}`)).to.deep.equal(["11-14", "14-17", "24-27"]);
    const detail = r.detail;
    if (!detail) throw new Error("seed34's record has no grid detail");
    const sens = detail.study.sensitivities;
    expect(sens.lines).to.have.length(35);
    expect(sens.units.map((u) => u.node)).to.deep.equal(study.sensitivities.units.map((u) => u.node));
    study.sensitivities.lines.forEach((line, k) => {
      const row = sens.lines.findIndex((l) => l.branchRow === line.branchRow);
      sens.matrix[row].forEach((x, j) => expect(x).to.be.closeTo(study.sensitivities.matrix[k][j], 1e-12));
    });
    // Nodal prices add up: energy + loss + congestion = total, USD/MWh, and the totals are byNode's.
    for (const p of detail.study.prices) {
      expect(p.energy + p.loss + p.congestion).to.be.closeTo(p.total, 1e-9);
      expect(r.prices.byNode[String(p.bus)]).to.equal(p.total);
    }
    expect(detail.study.loadFlow.branches).to.have.length(35);
    expect(detail.study.loadFlow.losses.p).to.equal(r.lossesMW);
    expect(detail.actual).to.equal(null);
    // The record survives JSON (what periods.json holds).
    expect(JSON.parse(JSON.stringify(r))).to.deep.equal(r);
  });

  it("delivers a studied record: the study kept, the period as it ran added with its own load flow", async function () {
    const c = loadCase(join(CASES, "seed34.json"));
    const study = await runPeriod(c, { periodStart: 1800 * 1000 });
    const lineSet = limitedLineSet(c);
    const studied = studiedRecord(scheduleConditions(c, 1000, 1800), study, c, [2, 27, 34], lineSet, EXTRAS);
    const ran = study.redispatch.loadFlow;
    const r = deliveredRecord(studied, lineSet, {
      delivery: [
        { address: null, node: 2, scheduledMW: 0.19, committedMW: 0.026, actualMW: 0.216, meterOffline: false },
      ],
      actualFlow: ran,
      actualLimits: study.redispatch.violations,
      gas: null,
      gasByFunction: {},
      wallMs: null,
    });
    expect(r.stage).to.equal("delivered");
    expect(r.violatedLines).to.equal(studied.violatedLines);
    expect(r.detail?.study).to.equal(studied.detail?.study);
    expect(r.detail?.actual?.loadFlow.branches.map((b) => b.pf)).to.deep.equal(ran.branches.map((b) => b.pf));
    expect(r.violatedLinesActual.length).to.equal(study.redispatch.violations.lines.length);
    expect(r.committedKwh).to.be.closeTo(13, 1e-9);
    expect(r.deliveredKwh).to.be.closeTo(13, 1e-9);
    expect(Object.keys(r)[0], "the stage leads the record").to.equal("stage");
  });

  it(`keeps the summary only for cases over ${DETAIL_MAX_BUSES} buses`, async function () {
    const c = loadCase(join(CASES, "seed34.json"));
    // The same study, as if the case were large: no detail, prices by the units' nodes only.
    const big = { ...c, bus: Array.from({ length: DETAIL_MAX_BUSES + 1 }, (_, k) => c.bus[k % c.bus.length]) };
    const study = await runPeriod(c, { periodStart: 1800 * 1000 });
    const r = studiedRecord(scheduleConditions(c, 1000, 1800), study, big, [2, 27, 34], limitedLineSet(c), EXTRAS);
    expect(r.detail).to.equal(null);
    expect(Object.keys(r.prices.byNode)).to.deep.equal(["2", "27", "34"]);
  });

  it("refuses sensitivities for a case without operation data, naming it", async function () {
    const c = loadCase(join(CASES, "seed34.json"));
    const study = await runPeriod(c, { periodStart: 1800 * 1000 });
    expect(() => allLineSensitivities({ ...c, operation: undefined }, study.loadFlow.point, "ac")).to.throw(
      /seed34: sensitivities need the case's operation data/,
    );
  });
});
