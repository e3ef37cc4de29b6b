/**
 * Case input, good and bad (2 of 3): the MATPOWER (.m) reader — structure and syntax, and bad data
 * — each error with its matrix, row, bus, file and line.
 */
import { expect } from "chai";
import { BUS, CaseDataError, CaseFormatError, parseMatpowerCase, runPowerFlow } from "../../../oracle";
import {
  BUS_ROWS,
  GEN_ROWS,
  BRANCH_ROWS,
  copy,
  matlabMatrix,
  matpowerSource,
  lineOf,
  expectThrow,
  parse,
} from "./case-input-fixtures";

describe("case input", function () {
  describe("MATPOWER text: structure and syntax", () => {
    for (const name of ["bus", "gen", "branch"] as const) {
      it(`refuses a case without mpc.${name}`, () => {
        const e = expectThrow(
          () => parse({ omit: [name] }),
          CaseFormatError,
          new RegExp(`^tri\\.m: mpc\\.${name} is missing`),
        );
        expect(e.file).to.equal("tri.m");
      });
    }

    it("refuses a file that defines no case struct, naming the output variable", () => {
      expectThrow(
        () => parseMatpowerCase("function out = nothing\nx = 1;\n", "n.m"),
        CaseFormatError,
        /^n\.m: no case struct 'out' is defined/,
      );
      expectThrow(() => parseMatpowerCase("x = 1;\n", "n.m"), CaseFormatError, /no case struct 'mpc' is defined/);
    });

    it("refuses format version 1 and a missing version", () => {
      expectThrow(
        () => parse({ version: "1" }),
        CaseFormatError,
        /^tri\.m: case format version '1' is not supported: convert it to version 2/,
      );
      expectThrow(
        () => parseMatpowerCase(matpowerSource().replace("mpc.version = '2';", ""), "tri.m"),
        CaseFormatError,
        /mpc\.version is missing/,
      );
      // A numeric version 2 is as good as the string.
      expect(parseMatpowerCase(matpowerSource().replace("'2'", "2"), "tri.m").bus).to.deep.equal(BUS_ROWS);
    });

    it("refuses a non-scalar baseMVA and a non-matrix bus", () => {
      expectThrow(
        () => parseMatpowerCase(matpowerSource().replace("mpc.baseMVA = 100;", "mpc.baseMVA = [100 100];"), "tri.m"),
        CaseFormatError,
        /mpc\.baseMVA is missing or not a scalar/,
      );
      expectThrow(() => parse({ after: "mpc.bus = 'none';" }), CaseFormatError, /mpc\.bus is not a numeric matrix/);
    });

    it("reports a syntax error with its line", () => {
      const src = matpowerSource({ after: "mpc.gen(1, 2) = (5 + ;" });
      const e = expectThrow(() => parseMatpowerCase(src, "tri.m"), CaseFormatError, /unexpected ';' in an expression/);
      expect(e.line).to.equal(lineOf(src, "(5 + ;"));
      expect(e.message).to.match(new RegExp(`^tri\\.m:${e.line}: `));
    });

    it("reports an unterminated matrix, naming the line it opened", () => {
      const src = matpowerSource({ after: "mpc.gencost = [\n\t2 0 0 3 0.11 5 150;\n\t2 0 0 3 0.085 1.2 600;\n" });
      const e = expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        new RegExp(`unterminated matrix opened at line ${lineOf(src, "mpc.gencost = [")}`),
      );
      expect(e.file).to.equal("tri.m");
    });

    it("reports an unexpected character with its line", () => {
      const src = matpowerSource({ after: "mpc.baseMVA = 100 $ 2;" });
      expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(src, "$")}: unexpected character '\\$'`),
      );
    });

    it("refuses a for loop with the file and the loop's line", () => {
      const src = matpowerSource({ after: "\n%% scale the loads\nfor k = 1:3\n  mpc.bus(k, 3) = 0;\nend" });
      const line = lineOf(src, "for k = 1:3");
      const e = expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        /unsupported statement 'for': only assignments/,
      );
      expect(e.line).to.equal(line);
      expect(e.message.startsWith(`tri.m:${line}: `)).to.equal(true);
    });

    it("refuses if, while and switch blocks at their lines", () => {
      for (const keyword of ["if", "while", "switch"]) {
        const src = matpowerSource({ after: `\n${keyword} mpc.baseMVA\n  mpc.baseMVA = 10;\nend` });
        expectThrow(
          () => parseMatpowerCase(src, "tri.m"),
          CaseFormatError,
          new RegExp(`^tri\\.m:${lineOf(src, `${keyword} mpc`)}: unsupported statement '${keyword}'`),
        );
      }
    });

    it("refuses a call of an unknown function, in an expression or as a statement, at its line", () => {
      // Literal source so the line numbers can be read off.
      const src = [
        "function mpc = t", // 1
        "mpc.version = '2';", // 2
        "mpc.baseMVA = 100;", // 3
        "mpc.bus = [1 3 0 0 0 0 1 1 0 230 1 1.1 0.9];", // 4
        "mpc.gen = [1 0 0 0 0 1 100 1 0 0];", // 5
        "mpc.branch = zeros(0, 13);", // 6
        "mpc = ext2int(mpc);", // 7
      ].join("\n");
      const e = expectThrow(
        () => parseMatpowerCase(src, "t.m"),
        CaseFormatError,
        /^t\.m:7: unsupported function 'ext2int'/,
      );
      expect(e.line).to.equal(7);

      const asStatement = matpowerSource({ after: "define_constants;\nmpc.bus(:, PD) = 0;" });
      expectThrow(
        () => parseMatpowerCase(asStatement, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(asStatement, "define_constants")}: unsupported statement 'define_constants'`),
      );
      const call = matpowerSource({ after: "disp(mpc.baseMVA)" });
      expectThrow(
        () => parseMatpowerCase(call, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(call, "disp(")}: unsupported statement 'disp'`),
      );
    });

    it("refuses column names used without idx_* (undefined name, with its line)", () => {
      const src = matpowerSource({ after: "mpc.bus(:, PD) = mpc.bus(:, PD) / 1e3;" });
      expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(src, "mpc.bus(:, PD)")}: undefined name 'PD'`),
      );
    });

    it("reads comments, continuations, block comments and both row separators", () => {
      const src = [
        "function mpc = tri % the function line may carry a comment",
        "mpc.version = '2'; % trailing comment",
        "%{",
        "  A block comment: nothing here runs.",
        "  for k = 1:3, mpc.bus(k, 3) = 1e6; end",
        "  mpc.baseMVA = 1;",
        "%}",
        "mpc.baseMVA = ...  the rest of a continued line is a comment",
        "  100;",
        "mpc.bus = [",
        "  10 3 0 0 0 0 1 1 0 230 1 1.1 0.9 % comment after a row",
        "  20 1 90 30 ... Pd and Qd, then the rest on the next line",
        "     0 0 1 1 0 230 1 1.1 0.9; 30 2 100 35 0 0 1 1 0 230 1 1.1 0.9",
        "];",
        "mpc.gen = [",
        `  ${GEN_ROWS[0].join(", ")};`,
        `  ${GEN_ROWS[1].join(" ")}`,
        "];",
        "mpc.branch = [",
        BRANCH_ROWS.map((r) => r.join(" ")).join("; "),
        "];",
        "%% a trailing comment",
      ].join("\n");
      const c = parseMatpowerCase(src, "tri.m");
      expect(c.baseMVA).to.equal(100);
      expect(c.bus).to.deep.equal(BUS_ROWS);
      expect(c.gen).to.deep.equal(GEN_ROWS);
      expect(c.branch).to.deep.equal(BRANCH_ROWS);
    });

    it("applies MATLAB's element rule: [1 -2] is two elements, [1 - 2] and [1-2] one", () => {
      // Va = -2 degrees at bus 20, written as a separate element: 13 columns.
      const twoElements = BUS_ROWS.map((r) => r.join(" "));
      twoElements[1] = "20 1 90 30 0 0 1 1 -2 230 1 1.1 0.9";
      const ok = parseMatpowerCase(
        matpowerSource().replace(/mpc\.bus = \[[^\]]*\];/, `mpc.bus = [\n${twoElements.join(";\n")}\n];`),
        "tri.m",
      );
      expect(ok.bus[1]).to.deep.equal([20, 1, 90, 30, 0, 0, 1, 1, -2, 230, 1, 1.1, 0.9]);
      // The same row with "1 - 2" (and "1-2") subtracts: 12 columns, which the matrix refuses.
      for (const merged of ["20 1 90 30 0 0 1 1 - 2 230 1 1.1 0.9", "20 1 90 30 0 0 1 1-2 230 1 1.1 0.9"]) {
        const rows = BUS_ROWS.map((r) => r.join(" "));
        rows[1] = merged;
        const src = matpowerSource().replace(/mpc\.bus = \[[^\]]*\];/, `mpc.bus = [\n${rows.join(";\n")}\n];`);
        expectThrow(
          () => parseMatpowerCase(src, "tri.m"),
          CaseFormatError,
          new RegExp(`^tri\\.m:${lineOf(src, merged)}: mpc\\.bus row 2 has 12 columns but the rows above have 13`),
        );
      }
    });

    it("reads mpc.bus_name as a cell array of strings", () => {
      const c = parse({ after: "mpc.bus_name = {\n\t'Slack';\n\t'Load ''A''';\n\t\"PV\";\n};" });
      expect(c.busNames).to.deep.equal(["Slack", "Load 'A'", "PV"]);
      expectThrow(
        () => parse({ after: "mpc.bus_name = {'Slack'; 'Load'};" }),
        CaseDataError,
        /^tri\.m: bus_name has 2 entries for 3 buses/,
      );
      expectThrow(
        () => parse({ after: "mpc.bus_name = {'Slack'; 2; 'PV'};" }),
        CaseFormatError,
        /mpc\.bus_name must be a cell array of strings/,
      );
    });

    it("reads an optional gencost matrix", () => {
      const c = parse({
        after: matlabMatrix("gencost", [
          [2, 0, 0, 3, 0.11, 5, 150],
          [2, 0, 0, 3, 0.085, 1.2, 600],
        ]),
      });
      expect(c.gencost).to.deep.equal([
        [2, 0, 0, 3, 0.11, 5, 150],
        [2, 0, 0, 3, 0.085, 1.2, 600],
      ]);
    });

    it("uses the function's output name for the case struct", () => {
      const src = matpowerSource()
        .replace("function mpc = tri", "function c = tri")
        .replace(/^mpc\./gm, "c.");
      expect(parseMatpowerCase(src, "tri.m").branch).to.deep.equal(BRANCH_ROWS);
    });
  });

  describe("MATPOWER text: bad data", () => {
    it("refuses a ragged matrix, naming the matrix, the row and its line", () => {
      const gen = copy(GEN_ROWS);
      gen[1] = gen[1].slice(0, 9);
      const src = matpowerSource({ gen });
      const line = lineOf(src, `\t${gen[1].join("\t")};`);
      const e = expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        /mpc\.gen row 2 has 9 columns but the rows above have 21/,
      );
      expect(e.line).to.equal(line);
    });

    it("refuses too few columns, naming the matrix and the row", () => {
      expectThrow(
        () => parse({ bus: BUS_ROWS.map((r) => r.slice(0, 12)) }),
        CaseDataError,
        /^tri\.m: bus row 1: has 12 columns, at least 13 required/,
      );
      expectThrow(
        () => parse({ gen: GEN_ROWS.map((r) => r.slice(0, 9)) }),
        CaseDataError,
        /^tri\.m: gen row 1: has 9 columns, at least 10 required/,
      );
      expectThrow(
        () => parse({ branch: BRANCH_ROWS.map((r) => r.slice(0, 10)) }),
        CaseDataError,
        /^tri\.m: branch row 1: has 10 columns, at least 11 required/,
      );
      // The minimum widths are enough.
      const c = parse({ gen: GEN_ROWS.map((r) => r.slice(0, 10)), branch: BRANCH_ROWS.map((r) => r.slice(0, 11)) });
      expect(runPowerFlow(c).buses[1].vm).to.be.closeTo(runPowerFlow(parse()).buses[1].vm, 1e-12);
    });

    it("refuses a branch to an unknown bus, naming the row, the end and the bus", () => {
      const branch = copy(BRANCH_ROWS);
      branch[1][1] = 99;
      expectThrow(() => parse({ branch }), CaseDataError, /^tri\.m: branch row 2, column 2: branch to unknown bus 99/);
      const fromUnknown = copy(BRANCH_ROWS);
      fromUnknown[2][0] = 11;
      expectThrow(
        () => parse({ branch: fromUnknown }),
        CaseDataError,
        /branch row 3, column 1: branch from unknown bus 11/,
      );
    });

    it("refuses a generator at an unknown bus, naming the row and the bus", () => {
      const gen = copy(GEN_ROWS);
      gen[1][0] = 3;
      expectThrow(() => parse({ gen }), CaseDataError, /^tri\.m: gen row 2, column 1: generator at unknown bus 3/);
    });

    it("refuses a repeated bus number, naming both rows", () => {
      const bus = copy(BUS_ROWS);
      bus[2][0] = 10;
      expectThrow(
        () => parse({ bus }),
        CaseDataError,
        /^tri\.m: bus row 3, column 1: bus number 10 is repeated \(first at row 1\)/,
      );
    });

    it("refuses bus numbers that are not positive integers", () => {
      for (const id of [0, -20, 20.5]) {
        const bus = copy(BUS_ROWS);
        bus[1][0] = id;
        expectThrow(
          () => parse({ bus }),
          CaseDataError,
          new RegExp(`bus row 2, column 1: bus number ${id} is not a positive integer`),
        );
      }
    });

    it("refuses a bad bus type, naming the row and the type", () => {
      for (const type of [0, 5, 1.5]) {
        const bus = copy(BUS_ROWS);
        bus[1][1] = type;
        expectThrow(
          () => parse({ bus }),
          CaseDataError,
          new RegExp(`^tri\\.m: bus row 2, column 2: bus type ${type} is not 1 \\(PQ\\), 2 \\(PV\\), 3 \\(ref\\) or 4`),
        );
      }
    });

    it("refuses an in-service zero-impedance branch, naming the row and its buses", () => {
      const branch = copy(BRANCH_ROWS);
      branch[2][2] = 0;
      branch[2][3] = 0;
      expectThrow(
        () => parse({ branch }),
        CaseDataError,
        /^tri\.m: branch row 3: branch 10-30 has zero impedance \(r = x = 0\)/,
      );
      // Out of service, the same branch is harmless.
      branch[2][10] = 0;
      expect(parse({ branch }).branch[2][10]).to.equal(0);
    });

    it("refuses a non-numeric cell: an undefined name or a string, with its line", () => {
      const bus = BUS_ROWS.map((r) => r.join("\t"));
      const withName = bus.slice();
      withName[1] = withName[1].replace("90", "abc");
      let src = matpowerSource().replace(/mpc\.bus = \[[^\]]*\];/, `mpc.bus = [\n${withName.join(";\n")};\n];`);
      expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(src, "abc")}: undefined name 'abc'`),
      );
      const withString = bus.slice();
      withString[2] = withString[2].replace("100", "'100'");
      src = matpowerSource().replace(/mpc\.bus = \[[^\]]*\];/, `mpc.bus = [\n${withString.join(";\n")};\n];`);
      expectThrow(
        () => parseMatpowerCase(src, "tri.m"),
        CaseFormatError,
        new RegExp(`^tri\\.m:${lineOf(src, "'100'")}: non-numeric cell '100' in a matrix`),
      );
    });

    it("refuses NaN and non-finite values where the power flow needs numbers", () => {
      const nan = copy(BUS_ROWS);
      nan[1][2] = NaN;
      expectThrow(() => parse({ bus: nan }), CaseDataError, /^tri\.m: bus row 2, column 3: value is NaN/);
      const inf = copy(BRANCH_ROWS);
      inf[0][3] = Infinity;
      expectThrow(
        () => parse({ branch: inf }),
        CaseDataError,
        /^tri\.m: branch row 1, column 4: must be a finite number, got Infinity/,
      );
      // Unbounded limits (Qmax = Inf, Qmin = -Inf) are fine.
      const gen = copy(GEN_ROWS);
      gen[0][3] = Infinity;
      gen[0][4] = -Infinity;
      expect(parse({ gen }).gen[0].slice(3, 5)).to.deep.equal([Infinity, -Infinity]);
    });

    it("refuses an empty bus or branch matrix and a non-positive baseMVA", () => {
      expectThrow(() => parse({ bus: [] }), CaseDataError, /^tri\.m: the bus matrix is empty/);
      expectThrow(() => parse({ branch: [] }), CaseDataError, /^tri\.m: the branch matrix is empty/);
      expectThrow(
        () => parseMatpowerCase(matpowerSource().replace("mpc.baseMVA = 100;", "mpc.baseMVA = 0;"), "tri.m"),
        CaseDataError,
        /baseMVA must be positive, got 0/,
      );
    });

    it("applies the file's unit conversion statements before validation", () => {
      // Loads written in kW, converted to MW by the file itself (as MATPOWER's raw cases do).
      const bus = copy(BUS_ROWS);
      bus[1][BUS.PD] = 90e3;
      bus[1][BUS.QD] = 30e3;
      bus[2][BUS.PD] = 100e3;
      bus[2][BUS.QD] = 35e3;
      const c = parse({
        bus,
        after: [
          "[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD] = idx_bus;",
          "mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;",
        ].join("\n"),
      });
      expect(c.bus).to.deep.equal(BUS_ROWS);
    });
  });
});
