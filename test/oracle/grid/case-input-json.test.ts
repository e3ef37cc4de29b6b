/**
 * Case input, good and bad (3 of 3): the JSON reader, and the errors that only surface when a case
 * is solved.
 */
import { expect } from "chai";
import {
  BUS,
  CaseDataError,
  CaseFormatError,
  GEN,
  PowerFlowNotConvergedError,
  UnsupportedCaseError,
  parseJsonCase,
  runPowerFlow,
} from "../../../oracle";
import { BUS_ROWS, GEN_ROWS, BRANCH_ROWS, copy, jsonSource, expectThrow, parse } from "./case-input-fixtures";

describe("case input", function () {
  describe("JSON", () => {
    it("refuses invalid JSON and a document that is not an object", () => {
      const e = expectThrow(
        () => parseJsonCase('{"baseMVA": 100,', "tri.json"),
        CaseFormatError,
        /^tri\.json: invalid JSON: /,
      );
      expect(e.file).to.equal("tri.json");
      expect(e.line).to.equal(undefined);
      expectThrow(() => parseJsonCase("[1, 2]", "tri.json"), CaseFormatError, /a JSON case must be an object/);
      expectThrow(() => parseJsonCase("null", "tri.json"), CaseFormatError, /a JSON case must be an object/);
    });

    it("refuses version 1, a missing baseMVA and missing matrices", () => {
      expectThrow(
        () => parseJsonCase(jsonSource({ version: 1 }), "tri.json"),
        CaseFormatError,
        /^tri\.json: case format version '1' is not supported/,
      );
      expectThrow(
        () => parseJsonCase(jsonSource({ baseMVA: "100" }), "tri.json"),
        CaseFormatError,
        /baseMVA is missing or not a number/,
      );
      for (const name of ["bus", "gen", "branch"]) {
        expectThrow(
          () => parseJsonCase(jsonSource({ [name]: undefined }), "tri.json"),
          CaseFormatError,
          new RegExp(`^tri\\.json: matrix '${name}' is missing`),
        );
      }
      expectThrow(
        () => parseJsonCase(jsonSource({ branch: { rows: [] } }), "tri.json"),
        CaseFormatError,
        /'branch' must be an array of rows/,
      );
      expectThrow(
        () => parseJsonCase(jsonSource({ bus: [BUS_ROWS[0], 5] }), "tri.json"),
        CaseFormatError,
        /bus row 2 is not an array/,
      );
    });

    it("refuses a string cell, naming the matrix, row and column", () => {
      const bus: unknown[][] = copy(BUS_ROWS);
      bus[1][2] = "90";
      expectThrow(
        () => parseJsonCase(jsonSource({ bus }), "tri.json"),
        CaseFormatError,
        /^tri\.json: bus row 2, column 3: non-numeric cell "90"/,
      );
      const gen: unknown[][] = copy(GEN_ROWS);
      gen[0][1] = null;
      expectThrow(
        () => parseJsonCase(jsonSource({ gen }), "tri.json"),
        CaseFormatError,
        /gen row 1, column 2: non-numeric cell null/,
      );
    });

    it("accepts a one-row matrix written as a flat vector", () => {
      // Only the slack unit: bus 30 becomes a load bus.
      const bus = copy(BUS_ROWS);
      bus[2][BUS.BUS_TYPE] = 1;
      const c = parseJsonCase(jsonSource({ gen: GEN_ROWS[0], bus }), "tri.json");
      expect(c.gen).to.deep.equal([GEN_ROWS[0]]);
      const r = runPowerFlow(c);
      expect(r.gens).to.have.length(1);
      expect(r.gens[0].pg).to.be.closeTo(190 + r.losses.p, 1e-6);
    });

    it('accepts "Inf" and "-Inf" strings for unbounded limits', () => {
      const gen: unknown[][] = copy(GEN_ROWS);
      gen[0][GEN.QMAX] = "Inf";
      gen[0][GEN.QMIN] = "-Inf";
      gen[1][GEN.QMAX] = "inf";
      gen[1][GEN.QMIN] = "-inf";
      const c = parseJsonCase(jsonSource({ gen }), "tri.json");
      expect(c.gen[0].slice(GEN.QMAX, GEN.QMIN + 1)).to.deep.equal([Infinity, -Infinity]);
      expect(c.gen[1].slice(GEN.QMAX, GEN.QMIN + 1)).to.deep.equal([Infinity, -Infinity]);
      const r = runPowerFlow(c);
      expect(r.gens.every((g) => Number.isFinite(g.qg))).to.equal(true);
      // Unbounded Q limits do not change an unconstrained solution.
      expect(r.buses[1].vm).to.be.closeTo(runPowerFlow(parse()).buses[1].vm, 1e-12);
      // Other strings are still refused.
      gen[0][GEN.QMAX] = "Infinity";
      expectThrow(
        () => parseJsonCase(jsonSource({ gen }), "tri.json"),
        CaseFormatError,
        /gen row 1, column 4: non-numeric cell "Infinity"/,
      );
    });

    it("reads bus_name and checks it", () => {
      expect(parseJsonCase(jsonSource({ bus_name: ["a", "b", "c"] }), "tri.json").busNames).to.deep.equal([
        "a",
        "b",
        "c",
      ]);
      expectThrow(
        () => parseJsonCase(jsonSource({ bus_name: ["a", 2, "c"] }), "tri.json"),
        CaseFormatError,
        /bus_name must be an array of strings/,
      );
      expectThrow(
        () => parseJsonCase(jsonSource({ bus_name: ["a"] }), "tri.json"),
        CaseDataError,
        /bus_name has 1 entries for 3 buses/,
      );
    });

    it("applies the same validation as MATPOWER text", () => {
      const bus = copy(BUS_ROWS);
      bus[1][1] = 7;
      expectThrow(
        () => parseJsonCase(jsonSource({ bus }), "tri.json"),
        CaseDataError,
        /^tri\.json: bus row 2, column 2: bus type 7/,
      );
      expectThrow(
        () => parseJsonCase(jsonSource({ bus: [BUS_ROWS[0], BUS_ROWS[1].slice(0, 12), BUS_ROWS[2]] }), "tri.json"),
        CaseDataError,
        /^tri\.json: bus row 2: has 12 columns, at least 13 required/,
      );
    });
  });

  describe("errors that surface when solving (runPowerFlow)", () => {
    it("the sweep refuses PV buses and meshed networks, naming the bus or branch", () => {
      expectThrow(
        () => runPowerFlow(parse(), { algorithm: "bfs" }),
        UnsupportedCaseError,
        /the sweep solver handles PQ buses only, but bus 30 is PV/,
      );
      const bus = copy(BUS_ROWS);
      bus[2][1] = 1;
      const meshed = parse({ bus, gen: [GEN_ROWS[0]] });
      expectThrow(
        () => runPowerFlow(meshed, { algorithm: "bfs" }),
        UnsupportedCaseError,
        /the network is meshed \(branch (10|20|30)-(10|20|30) closes a loop\)/,
      );
      // Radial once the loop is opened.
      const radial = parse({ bus, gen: [GEN_ROWS[0]], branch: BRANCH_ROWS.slice(0, 2) });
      const bfs = runPowerFlow(radial, { algorithm: "bfs" });
      const nr = runPowerFlow(radial);
      bfs.buses.forEach((b, i) => expect(b.vm).to.be.closeTo(nr.buses[i].vm, 1e-6));
    });

    it("the DC model refuses a branch with zero reactance, naming it", () => {
      const branch = copy(BRANCH_ROWS);
      branch[2][3] = 0;
      const c = parse({ branch });
      expectThrow(
        () => runPowerFlow(c, { algorithm: "dc" }),
        CaseDataError,
        /branch 10-30 \(row 3\) has zero reactance: the DC model needs x ≠ 0/,
      );
    });

    it("an impossible load does not converge and is reported as such", () => {
      const bus = copy(BUS_ROWS);
      bus[1][BUS.PD] = 50_000;
      const e = expectThrow(() => runPowerFlow(parse({ bus })), PowerFlowNotConvergedError, /did not converge/);
      expect(e.algorithm).to.equal("Newton-Raphson");
      expect(e.iterations).to.be.at.most(10);
    });

    it("refuses unknown options", () => {
      const c = parse();
      expectThrow(
        () => runPowerFlow(c, { algorithm: "gs" as unknown as "nr" }),
        RangeError,
        /unknown power-flow algorithm 'gs'/,
      );
      expectThrow(() => runPowerFlow(c, { tolerance: 0 }), RangeError, /tolerance must be a positive number/);
      expectThrow(() => runPowerFlow(c, { maxIterations: 0 }), RangeError, /maxIterations must be a positive integer/);
    });
  });
});
