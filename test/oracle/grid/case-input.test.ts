/**
 * Case input, good and bad (1 of 3): the inline 3-bus case, case files, validateCase on a case
 * built in code, slack buses and islands. Every error is checked for its class and for a message
 * that names the problem. Self-contained: small inline cases, no reference data from ../shared.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  CaseDataError,
  CaseFormatError,
  GEN,
  loadCase,
  parseJsonCase,
  runPowerFlow,
  toInternal,
  validateCase,
  type PowerCase,
} from "../../../oracle";
import { worstBusImbalance } from "../helpers";
import {
  BUS_ROWS,
  GEN_ROWS,
  BRANCH_ROWS,
  copy,
  matpowerSource,
  jsonSource,
  lineOf,
  expectThrow,
  parse,
} from "./case-input-fixtures";

describe("case input", function () {
  describe("the inline 3-bus case (happy path)", () => {
    it("parses to the matrices it was written from", () => {
      const c = parse();
      expect(c.name).to.equal("tri");
      expect(c.baseMVA).to.equal(100);
      expect(c.bus).to.deep.equal(BUS_ROWS);
      expect(c.gen).to.deep.equal(GEN_ROWS);
      expect(c.branch).to.deep.equal(BRANCH_ROWS);
      expect(c.gencost).to.equal(undefined);
      expect(c.busNames).to.equal(undefined);
    });

    it("solves with Newton-Raphson, with results keyed by the user's bus numbers in file order", () => {
      const c = parse();
      const r = runPowerFlow(c);
      expect(r.case).to.equal("tri");
      expect(r.converged).to.equal(true);
      expect(r.iterations).to.be.within(1, 10);
      expect(r.buses.map((b) => b.id)).to.deep.equal([10, 20, 30]);
      expect(r.gens.map((g) => g.bus)).to.deep.equal([10, 30]);
      expect(r.branches.map((b) => [b.from, b.to])).to.deep.equal([
        [10, 20],
        [20, 30],
        [10, 30],
      ]);
      expect(r.isolatedBuses).to.deep.equal([]);
      // Slack and PV buses hold their set points; the slack angle stays at 0.
      expect(r.buses[0].vm).to.be.closeTo(1.04, 1e-12);
      expect(r.buses[0].va).to.equal(0);
      expect(r.buses[2].vm).to.be.closeTo(1.025, 1e-12);
      expect(r.gens[1].pg).to.be.closeTo(163, 1e-9);
      // The load bus sags, the system has positive losses and every bus balances.
      expect(r.buses[1].vm).to.be.within(0.9, 1.04);
      expect(r.losses.p).to.be.above(0);
      expect(r.gens[0].pg + r.gens[1].pg).to.be.closeTo(190 + r.losses.p, 1e-6);
      expect(worstBusImbalance(c, r)).to.be.below(1e-6);
    });

    it("gives the same solution whatever the bus numbers and row order", () => {
      const base = runPowerFlow(parse());
      // Renumbered 10, 20, 30 -> 1, 2, 3.
      const renumber = (x: number): number => x / 10;
      const renumbered = runPowerFlow(
        parse({
          bus: BUS_ROWS.map((r) => [renumber(r[0]), ...r.slice(1)]),
          gen: GEN_ROWS.map((r) => [renumber(r[0]), ...r.slice(1)]),
          branch: BRANCH_ROWS.map((r) => [renumber(r[0]), renumber(r[1]), ...r.slice(2)]),
        }),
      );
      expect(renumbered.buses.map((b) => b.id)).to.deep.equal([1, 2, 3]);
      renumbered.buses.forEach((b, i) => {
        expect(b.vm).to.be.closeTo(base.buses[i].vm, 1e-12);
        expect(b.va).to.be.closeTo(base.buses[i].va, 1e-10);
      });
      // Bus rows in the order 30, 10, 20: results follow the file's order, values follow the ids.
      const shuffled = runPowerFlow(parse({ bus: [BUS_ROWS[2], BUS_ROWS[0], BUS_ROWS[1]] }));
      expect(shuffled.buses.map((b) => b.id)).to.deep.equal([30, 10, 20]);
      for (const b of shuffled.buses) {
        const same = base.buses.find((x) => x.id === b.id) as (typeof base.buses)[number];
        expect(b.vm).to.be.closeTo(same.vm, 1e-12);
        expect(b.va).to.be.closeTo(same.va, 1e-10);
      }
    });

    it("reads the same case from JSON as from MATPOWER text", () => {
      const fromJson = parseJsonCase(jsonSource({ version: "2" }), "tri.json");
      expect(fromJson).to.deep.equal(parse());
    });

    it("solves with the DC model", () => {
      const r = runPowerFlow(parse(), { algorithm: "dc" });
      expect(r.buses.map((b) => b.id)).to.deep.equal([10, 20, 30]);
      expect(r.gens[0].pg + r.gens[1].pg).to.be.closeTo(190, 1e-9);
    });
  });

  describe("loadCase: files", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "gridswap-case-input-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("reads .m and .json files by extension (case-insensitive)", () => {
      const m = join(dir, "tri.m");
      writeFileSync(m, matpowerSource());
      const json = join(dir, "TRI.JSON");
      writeFileSync(json, jsonSource());
      expect(loadCase(m).bus).to.deep.equal(BUS_ROWS);
      expect(loadCase(json).gen).to.deep.equal(GEN_ROWS);
    });

    it("ignores a UTF-8 byte-order mark at the start of a file", () => {
      const m = join(dir, "bom.m");
      writeFileSync(m, "\uFEFF" + matpowerSource());
      expect(loadCase(m).bus).to.deep.equal(BUS_ROWS);
      const json = join(dir, "bom.json");
      writeFileSync(json, "\uFEFF" + jsonSource());
      expect(loadCase(json).branch).to.deep.equal(BRANCH_ROWS);
    });

    it("names the case after the file when there is no function header or JSON name", () => {
      const m = join(dir, "headless.m");
      writeFileSync(m, matpowerSource().replace("function mpc = tri\n", ""));
      expect(loadCase(m).name).to.equal("headless");
      const json = join(dir, "nameless.json");
      writeFileSync(json, jsonSource({ name: undefined }));
      expect(loadCase(json).name).to.equal("nameless");
    });

    it("refuses an unknown file extension", () => {
      const txt = join(dir, "tri.txt");
      writeFileSync(txt, matpowerSource());
      const e = expectThrow(
        () => loadCase(txt),
        CaseFormatError,
        /unknown case file type '\.txt': expected \.m or \.json/,
      );
      expect(e.file).to.equal(txt);
      const bare = join(dir, "tri");
      writeFileSync(bare, matpowerSource());
      expectThrow(() => loadCase(bare), CaseFormatError, /unknown case file type '\(none\)'/);
    });

    it("reports a missing file with its path", () => {
      const missing = join(dir, "no-such-case.m");
      const e = expectThrow(() => loadCase(missing), CaseFormatError, /cannot read case file: ENOENT/);
      expect(e.message.startsWith(`${missing}: `)).to.equal(true);
    });

    it("reports errors in a file with its path and line", () => {
      const m = join(dir, "broken.m");
      const src = matpowerSource({ after: "mpc.baseMVA = 100 +;" });
      writeFileSync(m, src);
      const line = lineOf(src, "100 +;");
      const e = expectThrow(() => loadCase(m), CaseFormatError, /unexpected ';' in an expression/);
      expect(e.file).to.equal(m);
      expect(e.line).to.equal(line);
      expect(e.message.startsWith(`${m}:${line}: `)).to.equal(true);
    });
  });

  describe("validateCase on a PowerCase built in code", () => {
    it("returns a valid case unchanged and names its source in errors", () => {
      const c: PowerCase = { name: "x", baseMVA: 100, bus: BUS_ROWS, gen: GEN_ROWS, branch: BRANCH_ROWS };
      expect(validateCase(c)).to.equal(c);
      const bad: PowerCase = { ...c, gen: [[40, ...GEN_ROWS[0].slice(1)]] };
      expectThrow(() => validateCase(bad), CaseDataError, /^<case>: gen row 1, column 1: generator at unknown bus 40/);
      expectThrow(() => validateCase(bad, "api"), CaseDataError, /^api: gen row 1/);
    });
  });

  describe("slack bus and islands (toInternal, runPowerFlow)", () => {
    it("refuses a case with no type-3 bus", () => {
      const bus = copy(BUS_ROWS);
      bus[0][1] = 2;
      const c = parse({ bus });
      expectThrow(() => toInternal(c), CaseDataError, /no slack bus: no bus has type 3 \(reference\)/);
      expectThrow(() => runPowerFlow(c), CaseDataError, /no slack bus: no bus has type 3/);
    });

    it("refuses a type-3 bus whose generator is out of service or missing, naming the bus", () => {
      const gen = copy(GEN_ROWS);
      gen[0][GEN.GEN_STATUS] = 0;
      expectThrow(
        () => runPowerFlow(parse({ gen })),
        CaseDataError,
        /no slack bus: reference bus 10 has no in-service generator/,
      );
      expectThrow(
        () => runPowerFlow(parse({ gen: [GEN_ROWS[1]] }), { algorithm: "dc" }),
        CaseDataError,
        /no slack bus: reference bus 10 has no in-service generator/,
      );
      expectThrow(() => toInternal(parse({ gen: [] })), CaseDataError, /reference bus 10 has no in-service generator/);
    });

    it("reports out-of-service branches and generators with zero flow and output, one entry per row", () => {
      const gen = [...copy(GEN_ROWS), [20, 50, 10, 100, -100, 1, 100, 0, 100, 0, ...new Array<number>(11).fill(0)]];
      const branch = copy(BRANCH_ROWS);
      branch[2][10] = 0;
      const c = parse({ gen, branch });
      const r = runPowerFlow(c);
      expect(r.gens).to.have.length(3);
      expect(r.gens[2]).to.deep.equal({ bus: 20, pg: 0, qg: 0 });
      expect(r.branches).to.have.length(3);
      expect(r.branches[2]).to.deep.equal({ from: 10, to: 30, pf: 0, qf: 0, pt: 0, qt: 0 });
      expect(r.branches[0].pf).to.be.above(0);
      expect(worstBusImbalance(c, r)).to.be.below(1e-6);
      // The same as deleting those rows.
      const without = runPowerFlow(parse({ branch: BRANCH_ROWS.slice(0, 2) }));
      r.buses.forEach((b, i) => expect(b.vm).to.be.closeTo(without.buses[i].vm, 1e-12));
      expect(r.gens[0].pg).to.be.closeTo(without.gens[0].pg, 1e-9);
      // DC reports them the same way.
      const dc = runPowerFlow(c, { algorithm: "dc" });
      expect(dc.gens[2].pg).to.equal(0);
      expect(dc.branches[2].pf).to.equal(0);
    });

    it("reports a type-4 bus and an island without slack in isolatedBuses with vm = 0", () => {
      const bus = [
        ...copy(BUS_ROWS),
        [40, 4, 5, 1, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9], // isolated by type
        [50, 2, 10, 2, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9], // island 50-60: a PV bus but no slack
        [60, 1, 10, 2, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
      ];
      const gen = [...copy(GEN_ROWS), [50, 20, 0, 50, -50, 1.0, 100, 1, 50, 0, ...new Array<number>(11).fill(0)]];
      const branch = [
        ...copy(BRANCH_ROWS),
        [30, 40, 0.01, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360], // in service, but to a type-4 bus
        [50, 60, 0.01, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360],
      ];
      const c = parse({ bus, gen, branch });
      const ic = toInternal(c);
      expect(ic.isolatedBusIds).to.deep.equal([40, 50, 60]);
      expect(ic.buses.count).to.equal(3);
      expect(Array.from(ic.busIndexOfRow)).to.deep.equal([0, 1, 2, -1, -1, -1]);

      for (const algorithm of ["nr", "dc"] as const) {
        const r = runPowerFlow(c, { algorithm });
        expect(r.isolatedBuses).to.deep.equal([40, 50, 60]);
        expect(r.buses.map((b) => b.id)).to.deep.equal([10, 20, 30, 40, 50, 60]);
        for (const b of r.buses.slice(3)) expect(b).to.deep.equal({ id: b.id, vm: 0, va: 0 });
        expect(r.gens[2]).to.deep.equal({ bus: 50, pg: 0, qg: 0 });
        for (const b of r.branches.slice(3)) expect([b.pf, b.qf, b.pt, b.qt].every((x) => x === 0)).to.equal(true);
      }
      // The energised part solves as if the rest were not there.
      const base = runPowerFlow(parse());
      const r = runPowerFlow(c);
      base.buses.forEach((b, i) => expect(r.buses[i].vm).to.be.closeTo(b.vm, 1e-12));
      expect(worstBusImbalance(c, r)).to.be.below(1e-6);
    });
  });
});
