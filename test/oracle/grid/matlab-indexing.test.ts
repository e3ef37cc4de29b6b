/**
 * The MATLAB-subset interpreter (2 of 2): indexing and indexed assignment, built-in functions,
 * MATPOWER's idx_* names and unit-conversion idiom, and what it does not support failing with file
 * and line rather than producing different numbers.
 */
import { expect } from "chai";
import { type MatrixValue, type Value } from "../../../oracle/grid/case/matlab";
import { run, matrixOf, rowsOf, scalarOf, expectFailure, IDX_BUS, IDX_BRCH, IDX_GEN } from "./matlab-fixtures";

describe("MATLAB subset interpreter (case files)", function () {
  describe("indexing", () => {
    const B = "b = [1 2 3; 4 5 6; 7 8 9];\n";

    it("reads elements, rows, columns and blocks with scalars, vectors and ':'", () => {
      expect(scalarOf(`${B}a = b(2, 3);`)).to.equal(6);
      expect(rowsOf(`${B}a = b(2, :);`)).to.deep.equal([[4, 5, 6]]);
      expect(rowsOf(`${B}a = b(:, 2);`)).to.deep.equal([[2], [5], [8]]);
      expect(rowsOf(`${B}a = b([3 1], [2 1]);`)).to.deep.equal([
        [8, 7],
        [2, 1],
      ]);
      expect(rowsOf(`${B}a = b(:, [1, 1]);`)).to.deep.equal([
        [1, 1],
        [4, 4],
        [7, 7],
      ]);
      expect(rowsOf(`${B}a = b(2:3, 2:end);`)).to.deep.equal([
        [5, 6],
        [8, 9],
      ]);
    });

    it("resolves end per dimension, in expressions and nested indices", () => {
      expect(scalarOf(`${B}a = b(end, end - 1);`)).to.equal(8);
      expect(scalarOf(`${B}a = b(end);`)).to.equal(9);
      expect(scalarOf("b = [1 2 3 4; 5 6 7 8];\na = b(end, end);")).to.equal(8);
      expect(rowsOf("b = [1 2 3 4; 5 6 7 8];\na = b(1, [1 end]);")).to.deep.equal([[1, 4]]);
      expect(scalarOf("b = [1 2 3 4; 5 6 7 8];\nc = [2 1];\na = b(c(end), end);")).to.equal(4);
      expect(scalarOf("b = [1 2 3 4; 5 6 7 8];\na = b(end - 1, end / 2);")).to.equal(2);
    });

    it("indexes linearly in column-major order, with MATLAB's result shapes", () => {
      expect(scalarOf(`${B}a = b(2);`)).to.equal(4);
      // A matrix indexed by a vector takes the index's shape.
      expect(rowsOf(`${B}a = b([1 2 3]);`)).to.deep.equal([[1, 4, 7]]);
      expect(rowsOf(`${B}a = b([1; 2]);`)).to.deep.equal([[1], [4]]);
      // x(:) is always a column.
      expect(rowsOf("b = [1 2; 3 4];\na = b(:);")).to.deep.equal([[1], [3], [2], [4]]);
      expect(rowsOf("b = [1 2 3];\na = b(:);")).to.deep.equal([[1], [2], [3]]);
      // A vector indexed by a vector keeps its own orientation.
      expect(rowsOf("b = [10 20 30];\na = b([3; 1]);")).to.deep.equal([[30, 10]]);
      expect(rowsOf("b = [10; 20; 30];\na = b([3 1]);")).to.deep.equal([[30], [10]]);
      expect(rowsOf("b = 7;\na = b([1 1 1]);")).to.deep.equal([[7, 7, 7]]);
    });

    it("indexes struct fields", () => {
      expect(rowsOf("mpc.bus = [1 2; 3 4];\na = mpc.bus(:, 2)';")).to.deep.equal([[2, 4]]);
      expect(scalarOf("s.t.m = [5 6 7];\na = s.t.m(end);")).to.equal(7);
    });

    it("refuses bad indices at their line", () => {
      expectFailure(`${B}a = b(0);`, 2, /index 0 is not a positive integer/);
      expectFailure(`${B}a = b(1.5, 1);`, 2, /index 1.5 is not a positive integer/);
      expectFailure(`${B}a = b(-1, 1);`, 2, /index -1 is not a positive integer/);
      expectFailure(`${B}a = b(10);`, 2, /index 10 exceeds the 9 elements/);
      expectFailure(`${B}a = b(4, 1);`, 2, /row index 4 exceeds the 3 rows/);
      expectFailure(`${B}a = b(1, 4);`, 2, /column index 4 exceeds the 3 columns/);
      expectFailure(`${B}a = b(1, 1, 1);`, 2, /3-dimensional indexing is not supported/);
      expectFailure(`${B}a = b('x');`, 2, /an index must be numeric/);
      expectFailure("a = 1;\nb = end;", 2, /'end' used outside an index/);
    });

    it("refuses logical indexing and brace indexing", () => {
      expectFailure(`${B}a = b(b > 4);`, 2, /expected ',' but found '>'/);
      expectFailure("c = {1, 2};\na = c{1};", 2, /unexpected '\{' after statement/);
      expectFailure("c = {1, 2};\na = c(1);", 2, /'c' cannot be indexed/);
    });
  });

  describe("indexed assignment", () => {
    it("assigns a scalar to a selection and a block of the selection's size", () => {
      expect(rowsOf("a = [1 2 3; 4 5 6];\na(:, 2) = 0;")).to.deep.equal([
        [1, 0, 3],
        [4, 0, 6],
      ]);
      expect(rowsOf("a = [1 2 3; 4 5 6];\na(2, [1 3]) = [40 60];")).to.deep.equal([
        [1, 2, 3],
        [40, 5, 60],
      ]);
      expect(rowsOf("a = [1 2 3; 4 5 6];\na(:, [3 1]) = [30 10; 60 40];")).to.deep.equal([
        [10, 2, 30],
        [40, 5, 60],
      ]);
      expect(rowsOf("a = [1 2; 3 4];\na(end, end) = 9;")).to.deep.equal([
        [1, 2],
        [3, 9],
      ]);
    });

    it("grows the matrix with zeros past its end, and creates undefined variables", () => {
      expect(rowsOf("a = [1 2];\na(2, 3) = 7;")).to.deep.equal([
        [1, 2, 0],
        [0, 0, 7],
      ]);
      expect(rowsOf("a = [1 2];\na(end + 1, :) = [3 4];")).to.deep.equal([
        [1, 2],
        [3, 4],
      ]);
      expect(rowsOf("a(2, 2) = 5;")).to.deep.equal([
        [0, 0],
        [0, 5],
      ]);
    });

    it("assigns into struct fields, leaving the other fields alone", () => {
      const v = run("mpc.bus = [1 2; 3 4];\nmpc.gen = [5 6];\nmpc.bus(2, :) = mpc.bus(2, :) * 10;");
      const fields = (v.get("mpc") as { fields: Map<string, Value> }).fields;
      expect(fields.get("bus")).to.deep.equal({ kind: "matrix", rows: 2, cols: 2, data: [1, 2, 30, 40] });
      expect(fields.get("gen")).to.deep.equal({ kind: "matrix", rows: 1, cols: 2, data: [5, 6] });
    });

    it("does not alias: assigning into a copy leaves the original unchanged", () => {
      const v = run("a = [1 2];\nb = a;\nb(1, 1) = 9;");
      expect((v.get("a") as MatrixValue).data).to.deep.equal([1, 2]);
      expect((v.get("b") as MatrixValue).data).to.deep.equal([9, 2]);
    });

    it("refuses what it cannot assign, at its line", () => {
      expectFailure("a = [1 2; 3 4];\na(:, 1) = [1 2 3];", 2, /cannot assign a 1x3 value to a 2x1 selection/);
      // Deleting with [] is not supported: refused, not silently kept.
      expectFailure("a = [1 2; 3 4];\na(:, 1) = [];", 2, /cannot assign a 0x0 value to a 2x1 selection/);
      expectFailure("a = [1 2 3];\na(2) = 5;", 2, /linear-index assignment is not supported/);
      expectFailure("a = [1 2];\na(1, 1) = 'x';", 2, /only numbers can be assigned into a matrix/);
      expectFailure("s.x = 1;\ns(1, 1) = 2;", 2, /'s' is not a numeric matrix/);
      expectFailure("b = 1;\nb.x = 2;", 2, /'b' is not a struct/);
      expectFailure("b = 1;\na = b.x;", 2, /'b' is not a struct/);
    });
  });

  describe("built-in functions", () => {
    it("computes size, ones, zeros, abs and sqrt", () => {
      expect(rowsOf("b = ones(2, 3); a = size(b);")).to.deep.equal([[2, 3]]);
      expect(scalarOf("b = ones(2, 3); a = size(b, 1);")).to.equal(2);
      expect(scalarOf("b = ones(2, 3); a = size(b, 2);")).to.equal(3);
      expect(scalarOf("b = ones(2, 3); a = size(b, 3);")).to.equal(1);
      expect(rowsOf("a = zeros(2);")).to.deep.equal([
        [0, 0],
        [0, 0],
      ]);
      expect(rowsOf("a = ones(1, 3) * 2;")).to.deep.equal([[2, 2, 2]]);
      expect(matrixOf("a = zeros(0, 13);")).to.deep.equal({ kind: "matrix", rows: 0, cols: 13, data: [] });
      expect(rowsOf("a = abs([-1 2 -3.5]);")).to.deep.equal([[1, 2, 3.5]]);
      expect(rowsOf("a = sqrt([4 2]);")).to.deep.equal([[2, Math.SQRT2]]);
      expect(rowsOf("a = [abs(-1) sqrt(9)];")).to.deep.equal([[1, 3]]);
      expect(scalarOf("b = [1 2 3; 4 5 6]; a = b(size(b, 1), end);")).to.equal(6);
    });

    it("lets a variable shadow a built-in", () => {
      expect(scalarOf("size = [5 6 7]; a = size(2);")).to.equal(6);
    });

    it("refuses bad built-in arguments", () => {
      expectFailure("a = 1;\nb = ones(1, 2, 3);", 2, /ones takes one or two sizes/);
      expectFailure("a = abs('x');", 1, /abs takes numeric arguments/);
    });
  });

  describe("MATPOWER's idx_* column names", () => {
    it("binds idx_bus, idx_brch and idx_gen outputs to MATPOWER's 1-based columns", () => {
      const v = run(`${IDX_BUS}\n${IDX_BRCH}\n${IDX_GEN}`);
      const value = (name: string): number => (v.get(name) as MatrixValue).data[0];
      expect(["PQ", "PV", "REF", "NONE"].map(value)).to.deep.equal([1, 2, 3, 4]);
      expect(["BUS_I", "BUS_TYPE", "PD", "QD", "VM", "VA", "BASE_KV", "VMIN", "MU_VMIN"].map(value)).to.deep.equal([
        1, 2, 3, 4, 8, 9, 10, 13, 17,
      ]);
      expect(
        ["F_BUS", "BR_R", "BR_X", "TAP", "BR_STATUS", "PF", "QT", "ANGMIN", "ANGMAX", "MU_ANGMAX"].map(value),
      ).to.deep.equal([1, 3, 4, 9, 11, 14, 17, 12, 13, 21]);
      expect(
        ["GEN_BUS", "PG", "VG", "GEN_STATUS", "PMIN", "MU_PMAX", "MU_QMIN", "PC1", "RAMP_AGC", "APF"].map(value),
      ).to.deep.equal([1, 2, 6, 8, 10, 22, 25, 11, 17, 21]);
    });

    it("accepts a prefix of the outputs, ~ placeholders and an empty argument list", () => {
      const v = run("[PQ, PV, REF] = idx_bus();\n[~, ~, ~, ~, ~, BUS_TYPE] = idx_bus;\n[F_BUS T_BUS] = idx_brch;");
      expect([...v.keys()].sort()).to.deep.equal(["BUS_TYPE", "F_BUS", "PQ", "PV", "REF", "T_BUS"]);
      expect((v.get("BUS_TYPE") as MatrixValue).data).to.deep.equal([2]);
      expect((v.get("T_BUS") as MatrixValue).data).to.deep.equal([2]);
    });

    it("refuses unknown functions and too many outputs", () => {
      expectFailure("a = 1;\n[A, B] = idx_foo;", 2, /unsupported function 'idx_foo' in a multiple assignment/);
      expectFailure(
        "[A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V] = idx_bus;",
        1,
        /idx_bus returns 21 values but 22 are requested/,
      );
      expectFailure("a = 1;\n[A, 2] = idx_bus;", 2, /expected a variable name in the output list, found '2'/);
      expectFailure("a = PD;", 1, /undefined name 'PD'/);
      expectFailure("a = idx_bus;", 1, /unsupported function 'idx_bus'/);
    });
  });

  describe("MATPOWER's unit-conversion idiom (raw distribution cases in kW and ohms)", () => {
    const SOURCE = [
      "function mpc = feeder",
      "mpc.version = '2';",
      "mpc.baseMVA = 10;",
      "%% bus data: Pd, Qd in kW, kVAr",
      "mpc.bus = [",
      "\t1\t3\t0\t0\t0\t0\t1\t1\t0\t12.66\t1\t1\t1;",
      "\t2\t1\t100\t60\t0\t0\t1\t1\t0\t12.66\t1\t1.1\t0.9;",
      "\t3\t1\t90\t40\t0\t0\t1\t1\t0\t12.66\t1\t1.1\t0.9;",
      "\t4\t1\t120\t80\t0\t0\t1\t1\t0\t12.66\t1\t1.1\t0.9;",
      "];",
      "mpc.gen = [",
      "\t1\t0\t0\t10\t-10\t1\t100\t1\t10\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;",
      "];",
      "%% branch data: r, x in ohms",
      "mpc.branch = [",
      "\t1\t2\t0.0922\t0.0470\t0\t0\t0\t0\t0\t0\t1\t-360\t360;",
      "\t2\t3\t0.4930\t0.2511\t0\t0\t0\t0\t0\t0\t1\t-360\t360;",
      "\t3\t4\t0.3660\t0.1864\t0\t0\t0\t0\t0\t0\t1\t-360\t360;",
      "];",
      "",
      "%%-----  convert branch impedances from Ohms to p.u.",
      IDX_BUS,
      IDX_BRCH,
      "Vbase = mpc.bus(1, BASE_KV) * 1e3;      %% in Volts",
      "Sbase = mpc.baseMVA * 1e6;              %% in VA",
      "mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);",
      "",
      "%%-----  convert loads from kW to MW",
      "mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;",
    ].join("\n");

    const fieldOf = (v: Map<string, Value>, name: string): number[][] => {
      const m = (v.get("mpc") as { fields: Map<string, Value> }).fields.get(name) as MatrixValue;
      return Array.from({ length: m.rows }, (_, r) => m.data.slice(r * m.cols, (r + 1) * m.cols));
    };

    it("converts ohms to per unit and kW to MW with the same floating-point operations as MATLAB", () => {
      const v = run(SOURCE);
      const vbase = 12.66 * 1e3;
      const sbase = 10 * 1e6;
      const zbase = (vbase * vbase) / sbase;
      expect((v.get("Vbase") as MatrixValue).data).to.deep.equal([12660]);
      expect((v.get("Sbase") as MatrixValue).data).to.deep.equal([1e7]);
      expect(zbase).to.equal(16.02756);
      const branch = fieldOf(v, "branch");
      const ohms = [
        [0.0922, 0.047],
        [0.493, 0.2511],
        [0.366, 0.1864],
      ];
      branch.forEach((row, l) => {
        expect(row.slice(2, 4)).to.deep.equal([ohms[l][0] / zbase, ohms[l][1] / zbase]);
        // Everything else in the row is untouched.
        expect(row.slice(0, 2)).to.deep.equal([l + 1, l + 2]);
        expect(row.slice(4)).to.deep.equal([0, 0, 0, 0, 0, 0, 1, -360, 360]);
      });
      expect(branch[0][2]).to.be.closeTo(0.0057525911617, 1e-12);
      const bus = fieldOf(v, "bus");
      expect(bus.map((row) => row.slice(2, 4))).to.deep.equal([
        [0, 0],
        [0.1, 0.06],
        [0.09, 0.04],
        [0.12, 0.08],
      ]);
      expect(bus.map((row) => [row[0], row[1], row[9]])).to.deep.equal([
        [1, 3, 12.66],
        [2, 1, 12.66],
        [3, 1, 12.66],
        [4, 1, 12.66],
      ]);
    });

    it("applies each statement once and in order", () => {
      const twice = `${SOURCE}\nmpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;`;
      expect(fieldOf(run(twice), "bus")[1].slice(2, 4)).to.deep.equal([0.1 / 1e3, 0.06 / 1e3]);
    });

    it("refuses the idiom with a for loop instead of indexing, at the loop's line", () => {
      const loop = SOURCE.replace(
        "mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;",
        "for k = 1:size(mpc.bus, 1)\n  mpc.bus(k, PD) = mpc.bus(k, PD) / 1e3;\nend",
      );
      const line = loop.split("\n").findIndex((l) => l.startsWith("for k")) + 1;
      expectFailure(loop, line, /unsupported statement 'for'/);
    });
  });

  describe("unsupported constructs fail with file and line", () => {
    it("control flow", () => {
      for (const keyword of ["if", "for", "while", "switch", "try", "global", "persistent", "break", "continue"]) {
        expectFailure(`a = 1;\n\n${keyword} x\n`, 3, new RegExp(`unsupported statement '${keyword}'`));
      }
      expectFailure("function mpc = c\nmpc.x = 1;\nend", 3, /unsupported statement 'end'/);
    });

    it("calls of functions outside the subset", () => {
      expectFailure("a = 1;\nmpc = loadcase('case9');", 2, /unsupported function 'loadcase'/);
      expectFailure("a = 1;\nb = max([1 2]);", 2, /unsupported function 'max'/);
      expectFailure("a = 1;\nb = [1 struct('x', 1)];", 2, /unsupported function 'struct'/);
      expectFailure("a = 1;\ndisp(a)", 2, /unsupported statement 'disp': only assignments/);
      expectFailure("a = 1;\ndefine_constants;", 2, /unsupported statement 'define_constants'/);
      expectFailure("a = 1;\nfoo()", 2, /unsupported statement 'foo'/);
      expectFailure("a = 1;\nfprintf('%d\\n', a);", 2, /unsupported statement 'fprintf'/);
    });

    it("logical and comparison operators", () => {
      expectFailure("a = ~1;", 1, /logical operators are not supported/);
      expectFailure("a = 1;\nb = !a;", 2, /logical operators are not supported/);
      expectFailure("a = 1;\nb = a == 1;", 2, /unexpected '==' after statement/);
      expectFailure("a = 1;\nb = a ~= 1;", 2, /unexpected '~=' after statement/);
      expectFailure("a = 1;\nb = a & 1;", 2, /unexpected '&' after statement/);
    });

    it("malformed input", () => {
      expectFailure("a = 1;\nb = 1 $ 2;", 2, /unexpected character '\$'/);
      expectFailure("a = 1;\nb = 1e;", 2, /unexpected 'e' after statement/);
      expectFailure("a = 1;\nb = 2x;", 2, /unexpected 'x' after statement/);
      expectFailure("a = 1;\nb = 0x1F;", 2, /unexpected 'x1F' after statement/);
      expectFailure("a = 1;\nb = 1i;", 2, /unexpected 'i' after statement/);
      expectFailure("a = 1;\nb = (1 + 2;", 2, /expected '\)' but found ';'/);
      expectFailure("a = 1;\nb = ;", 2, /unexpected ';' in an expression/);
      expectFailure("a = 1;\nb 1", 2, /unsupported statement 'b'/);
      expectFailure("a = 1;\n= 3;", 2, /unsupported statement starting with '='/);
      expectFailure("a = 1;\n@(x) x;", 2, /unsupported statement starting with '@'/);
      expectFailure("function = x", 1, /expected a name after 'function'/);
    });
  });
});
