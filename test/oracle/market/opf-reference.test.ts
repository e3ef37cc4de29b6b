/**
 * GridSwap's redispatch against MATPOWER's AC OPF of the same problem. Each file in opf-ref/ holds
 * MATPOWER's runopf solution (MIPS) of a period as `period --export-opf` exports it, made by
 * tools/opf-reference.ts in Octave; here GridSwap solves the period again and is compared: every
 * unit's move within 1e-4 MW, the same binding lines, each shadow price within 0.5 %, every nodal
 * price within 0.5 % or 0.05 USD/MWh, the cost within 1e-6. No Octave needed. A problem whose case
 * lies in ../shared is skipped, saying so, where ../shared is absent.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { loadCase } from "../../../oracle";
import { compareOpf, type OpfReference } from "../../../oracle/market/opf-compare";
import { exportPeriodOpf, problemKey, type PeriodProblem } from "../../../oracle/market/opf-export";

const ROOT = resolve(__dirname, "../../..");
const REFERENCES = join(__dirname, "opf-ref");

interface ReferenceFile {
  readonly problem: PeriodProblem & { readonly name: string; readonly case: string; readonly periodStart: number };
  readonly key: string;
  readonly reference: OpfReference;
}

describe("redispatch against MATPOWER's runopf of the exported problem (references in opf-ref/)", function () {
  const files = readdirSync(REFERENCES).filter((f) => f.endsWith(".json"));

  it("has references for seed34 and case118", () => {
    expect(files).to.include.members(["seed34.json", "case118.json"]);
  });

  it("the comparison catches a price, a move or a binding line that differs", async () => {
    const doc = JSON.parse(readFileSync(join(REFERENCES, "seed34.json"), "utf8")) as ReferenceFile;
    const c = loadCase(join(ROOT, doc.problem.case));
    const { opf } = await exportPeriodOpf(c, { forecasts: { periodStart: doc.problem.periodStart } });
    const r = doc.reference;
    const shifted: OpfReference = {
      ...r,
      lmp: r.lmp.map((p) => (p.bus === 5 ? { ...p, price: p.price * 1.01 } : p)),
      units: r.units.map((u) => (u.gen === 3 ? { ...u, outputMW: u.outputMW + 2e-4 } : u)),
      limits: r.limits.map((l) => (l.branch === 15 ? { ...l, muToFrom: 1 } : l)),
    };
    const cmp = compareOpf(opf.answer, shifted);
    expect(cmp.lmpOutside).to.deep.equal([5]);
    expect(cmp.moveGen).to.equal(3);
    expect(cmp.moveMW).to.be.closeTo(2e-4, 1e-9);
    expect(cmp.bindingMatpower).to.deep.equal([15, 24]);
  });

  for (const file of files) {
    const doc = JSON.parse(readFileSync(join(REFERENCES, file), "utf8")) as ReferenceFile;
    const { problem, reference } = doc;
    it(`${problem.name}: moves, binding lines, shadow prices and every nodal price as MATPOWER's`, async function () {
      const path = join(ROOT, problem.case);
      if (!existsSync(path)) {
        console.log(`      ${problem.name}: ${problem.case} not found, so its comparison with MATPOWER is skipped`);
        this.skip();
      }
      const c = loadCase(path);
      const forecasts = { ...problem.forecasts, periodStart: problem.periodStart };
      const { opf, result } = await exportPeriodOpf(c, { ...problem, forecasts });
      expect(
        problemKey(opf.data),
        "the reference was made for this problem (else rerun tools/opf-reference.ts)",
      ).to.deep.equal(doc.key);
      expect(reference.success).to.equal(true);
      expect(result.redispatch.status).to.equal("solved");
      expect(result.redispatch.converged).to.equal(true);
      const cmp = compareOpf(opf.answer, reference);
      console.log(
        `      moves within ${cmp.moveMW.toExponential(1)} MW; binding rows [${cmp.bindingGridSwap}]; μ within ` +
          `${(100 * cmp.muRelative).toExponential(1)} %; LMP within ${cmp.lmpUsdPerMWh.toExponential(1)} USD/MWh ` +
          `(${(100 * cmp.lmpRelative).toExponential(1)} %) over ${reference.lmp.length} buses`,
      );
      expect(cmp.moveMW, `largest move deviation at gen row ${cmp.moveGen}`).to.be.at.most(1e-4);
      expect(cmp.bindingGridSwap, "binding lines (branch rows)").to.deep.equal(cmp.bindingMatpower);
      expect(cmp.bindingGridSwap.length, "something binds").to.be.greaterThan(0);
      expect(cmp.muRelative, "largest relative shadow-price deviation").to.be.at.most(0.005);
      expect(cmp.lmpOutside, "buses priced off by more than 0.5 % and 0.05 USD/MWh").to.deep.equal([]);
      expect(reference.lmp.map((p) => p.bus)).to.deep.equal(opf.answer.lmp.map((p) => p.bus));
      expect(opf.answer.objective).to.be.closeTo(
        reference.objective,
        1e-6 * Math.max(1, Math.abs(reference.objective)),
      );
    });
  }
});
