/**
 * The MATLAB-subset interpreter that reads MATPOWER case files (1 of 2): programs and values,
 * comments and line structure, matrix literals, arithmetic, ranges — what it evaluates must equal
 * what MATLAB computes.
 */
import { expect } from "chai";
import { runMatlabProgram, type MatrixValue, type Value } from "../../../oracle/grid/case/matlab";
import { FILE, run, matrixOf, rowsOf, scalarOf, expectFailure } from "./matlab-fixtures";

describe("MATLAB subset interpreter (case files)", function () {
  describe("programs and values", () => {
    it("reads the function header: name and output variable", () => {
      const r = runMatlabProgram("function mpc = case_x\nmpc.baseMVA = 100;\n", FILE);
      expect(r.functionName).to.equal("case_x");
      expect(r.outputName).to.equal("mpc");
      const withArgs = runMatlabProgram("function out = make(a, b)\nout.x = 1;", FILE);
      expect([withArgs.functionName, withArgs.outputName]).to.deep.equal(["make", "out"]);
      const noOutput = runMatlabProgram("function setup\nx = 1;", FILE);
      expect([noOutput.functionName, noOutput.outputName]).to.deep.equal(["setup", undefined]);
      const script = runMatlabProgram("x = 1;", FILE);
      expect([script.functionName, script.outputName]).to.deep.equal([undefined, undefined]);
    });

    it("reads number literals", () => {
      expect(rowsOf("a = [1 2.5 .5 1. 1e3 1E-2 2.5e+2 1.e2 007];")).to.deep.equal([
        [1, 2.5, 0.5, 1, 1000, 0.01, 250, 100, 7],
      ]);
      // 17 significant digits survive; a literal longer than any real file's stays one number.
      expect(scalarOf("a = 0.12345678901234567;")).to.equal(Number("0.12345678901234567"));
      const long = "0." + "1234567890".repeat(8);
      expect(rowsOf(`a = [${long} 2];`)).to.deep.equal([[Number(long), 2]]);
    });

    it("knows Inf, NaN, pi and eps", () => {
      const m = matrixOf("a = [Inf -Inf inf NaN nan pi eps];");
      expect(m.data.slice(0, 3)).to.deep.equal([Infinity, -Infinity, Infinity]);
      expect(Number.isNaN(m.data[3]) && Number.isNaN(m.data[4])).to.equal(true);
      expect(m.data.slice(5)).to.deep.equal([Math.PI, Number.EPSILON]);
    });

    it("reads strings in single and double quotes, with doubled quotes inside", () => {
      const v = run(`a = 'it''s'; b = "say ""hi"""; c = '';`);
      expect(v.get("a")).to.deep.equal({ kind: "string", value: "it's" });
      expect(v.get("b")).to.deep.equal({ kind: "string", value: 'say "hi"' });
      expect(v.get("c")).to.deep.equal({ kind: "string", value: "" });
    });

    it("builds cell arrays of strings and numbers", () => {
      const v = run("a = {'Bus 1'; 'Bus 2'\n'Bus 3', 4};");
      expect(v.get("a")).to.deep.equal({
        kind: "cell",
        items: [
          { kind: "string", value: "Bus 1" },
          { kind: "string", value: "Bus 2" },
          { kind: "string", value: "Bus 3" },
          { kind: "matrix", rows: 1, cols: 1, data: [4] },
        ],
      });
    });

    it("builds nested structs field by field and reads fields back", () => {
      const v = run("s.a.b = 3;\ns.a.c = [1 2];\ns.d = 'x';\nt = s.a.b + 1;");
      const s = v.get("s") as { kind: string; fields: Map<string, Value> };
      expect(s.kind).to.equal("struct");
      expect([...s.fields.keys()]).to.deep.equal(["a", "d"]);
      const a = s.fields.get("a") as { kind: string; fields: Map<string, Value> };
      expect(a.kind).to.equal("struct");
      expect(a.fields.get("c")).to.deep.equal({ kind: "matrix", rows: 1, cols: 2, data: [1, 2] });
      expect(v.get("t")).to.deep.equal({ kind: "matrix", rows: 1, cols: 1, data: [4] });
      // Reassigning a field replaces it; the other fields stay.
      const w = run("s.x = 1; s.y = 2; s.x = [3 4];");
      const fields = (w.get("s") as { fields: Map<string, Value> }).fields;
      expect([...fields.keys()]).to.deep.equal(["x", "y"]);
      expect(fields.get("x")).to.deep.equal({ kind: "matrix", rows: 1, cols: 2, data: [3, 4] });
    });

    it("runs several statements on a line, with or without semicolons", () => {
      const v = run("a = 1, b = 2; c = 3\nd = a + b + c");
      expect((v.get("d") as MatrixValue).data).to.deep.equal([6]);
    });

    it("stops at return: nothing after it changes the data", () => {
      const v = run("function mpc = c\nmpc.x = 1;\nreturn;\nmpc.x = 2;\n");
      expect(((v.get("mpc") as { fields: Map<string, Value> }).fields.get("x") as MatrixValue).data).to.deep.equal([1]);
    });
  });

  describe("comments and line structure", () => {
    it("skips % comments, %{ %} block comments and ... continuations, keeping line numbers", () => {
      const src = [
        "% header comment", // 1
        "a = [1 2 % not data: 3 4", // 2
        "     5 6];", // 3
        "%{", // 4
        "b = for while;", // 5
        "%}", // 6
        "c = 1 + ...  comment after the continuation", // 7
        "    2;", // 8
        "  %{", // 9
        "  nested-looking text", // 10
        "  %}", // 11
        "d = undefined_thing;", // 12
      ].join("\n");
      expectFailure(src, 12, /undefined name 'undefined_thing'/);
      const ok = src.split("\n").slice(0, 11).join("\n");
      expect(rowsOf(ok)).to.deep.equal([
        [1, 2],
        [5, 6],
      ]);
      expect(run(ok).has("b")).to.equal(false);
      expect(scalarOf(ok, "c")).to.equal(3);
    });

    it("does not treat %{ with other text on its line as a block comment", () => {
      expect(scalarOf("a = 1; %{ just a line comment\nb = 2;", "b")).to.equal(2);
    });

    it("accepts CRLF line ends", () => {
      expect(rowsOf("a = [1 2\r\n3 4];\r\nb = 1;\r\n")).to.deep.equal([
        [1, 2],
        [3, 4],
      ]);
      expectFailure("a = 1;\r\n\r\nb = nope;\r\n", 3, /undefined name 'nope'/);
    });

    it("fails on an unterminated block comment, string or matrix at the right line", () => {
      expectFailure("a = 1;\n%{\nb = 2;\n", 2, /unterminated block comment %\{/);
      expectFailure("a = 1;\nb = 'abc;\n", 2, /unterminated string/);
      expectFailure("a = 1;\nb = [1 2\n3 4\n", 4, /unterminated matrix opened at line 2/);
      expectFailure("a = {'x'\n", 2, /unterminated cell array opened at line 1/);
    });
  });

  describe("matrix literals", () => {
    it("separates elements by spaces or commas and rows by semicolons or newlines", () => {
      const expected = [
        [1, 2, 3],
        [4, 5, 6],
      ];
      expect(rowsOf("a = [1 2 3; 4 5 6];")).to.deep.equal(expected);
      expect(rowsOf("a = [1, 2, 3\n4, 5, 6];")).to.deep.equal(expected);
      expect(rowsOf("a = [\n\t1\t2\t3;\n\t4\t5\t6;\n];")).to.deep.equal(expected);
      expect(rowsOf("a = [1,2,3;;\n\n4 5 6;]")).to.deep.equal(expected);
    });

    it("applies the whitespace rule for + and -: [1 -2] is two elements, [1 - 2] and [1-2] one", () => {
      expect(rowsOf("a = [1 -2];")).to.deep.equal([[1, -2]]);
      expect(rowsOf("a = [1 - 2];")).to.deep.equal([[-1]]);
      expect(rowsOf("a = [1-2];")).to.deep.equal([[-1]]);
      expect(rowsOf("a = [1- 2];")).to.deep.equal([[-1]]);
      expect(rowsOf("a = [1 +2];")).to.deep.equal([[1, 2]]);
      expect(rowsOf("x = 5; a = [x -1 x - 1 x-1];")).to.deep.equal([[5, -1, 4, 4]]);
      // Inside parentheses whitespace does not split.
      expect(rowsOf("a = [(1 -2) 3];")).to.deep.equal([[-1, 3]]);
      expect(rowsOf("a = [1 -2 + 3];")).to.deep.equal([[1, 1]]);
    });

    it("tells a transpose from a string inside brackets", () => {
      expect(rowsOf("b = [1 2]; a = [b' b'];")).to.deep.equal([
        [1, 1],
        [2, 2],
      ]);
      expectFailure("b = [1 2];\na = [b 'x'];", 2, /non-numeric cell 'x' in a matrix/);
    });

    it("concatenates blocks and ignores empty ones", () => {
      expect(rowsOf("b = [1 2]; a = [b 3; 4 b];")).to.deep.equal([
        [1, 2, 3],
        [4, 1, 2],
      ]);
      expect(rowsOf("b = [1; 2]; a = [b b];")).to.deep.equal([
        [1, 1],
        [2, 2],
      ]);
      expect(rowsOf("a = [[] 1 2; 3 [] 4];")).to.deep.equal([
        [1, 2],
        [3, 4],
      ]);
      expect(matrixOf("a = [];")).to.deep.equal({ kind: "matrix", rows: 0, cols: 0, data: [] });
      expect(matrixOf("a = [[]; []];")).to.deep.equal({ kind: "matrix", rows: 0, cols: 0, data: [] });
    });

    it("refuses rows of different lengths at the line of the bad row, naming the variable", () => {
      expectFailure(
        "x = 1;\nmpc.bus = [\n1 2 3;\n4 5 6;\n7 8;\n];",
        5,
        /mpc\.bus row 3 has 2 columns but the rows above have 3/,
      );
      expectFailure("a = [1 2; 3];", 1, /a row 2 has 1 columns but the rows above have 2/);
      expectFailure("b = [1; 2];\na = [b [1 2 3]];", 2, /horizontal concatenation of blocks with different heights/);
    });

    it("refuses strings, cells and structs inside a numeric matrix", () => {
      expectFailure("a = [1 'x'];", 1, /non-numeric cell 'x' in a matrix/);
      expectFailure("a = 1;\nb = [1 {2}];", 2, /non-numeric cell \(a cell\) in a matrix/);
      expectFailure("s.x = 1;\nb = [s 2];", 2, /non-numeric cell \(a struct\) in a matrix/);
    });
  });

  describe("arithmetic", () => {
    it("has MATLAB's precedence and associativity", () => {
      expect(scalarOf("a = 1 + 2 * 3;")).to.equal(7);
      expect(scalarOf("a = (1 + 2) * 3;")).to.equal(9);
      expect(scalarOf("a = 10 - 4 - 3;")).to.equal(3);
      expect(scalarOf("a = 12 / 3 / 2;")).to.equal(2);
      expect(scalarOf("a = -2^2;")).to.equal(-4);
      expect(scalarOf("a = 2^3^2;")).to.equal(64);
      expect(scalarOf("a = 2^-1;")).to.equal(0.5);
      expect(scalarOf("a = 2 * -3;")).to.equal(-6);
      expect(scalarOf("a = - -3;")).to.equal(3);
      expect(scalarOf("a = +3;")).to.equal(3);
    });

    it("applies scalar operations to every element", () => {
      expect(rowsOf("a = [1 2; 3 4] * 2 + 1;")).to.deep.equal([
        [3, 5],
        [7, 9],
      ]);
      expect(rowsOf("a = 10 - [1 2];")).to.deep.equal([[9, 8]]);
      expect(rowsOf("a = [2 4] / 4;")).to.deep.equal([[0.5, 1]]);
      expect(rowsOf("a = -[1 -2];")).to.deep.equal([[-1, 2]]);
    });

    it("computes element-wise operators", () => {
      expect(rowsOf("a = [1 2 3] .* [4 5 6];")).to.deep.equal([[4, 10, 18]]);
      expect(rowsOf("a = [1 2 3] ./ [4 8 16];")).to.deep.equal([[0.25, 0.25, 0.1875]]);
      expect(rowsOf("a = [1 2 3] .^ 2;")).to.deep.equal([[1, 4, 9]]);
      expect(rowsOf("a = 2 .^ [1 2 3];")).to.deep.equal([[2, 4, 8]]);
      expect(rowsOf("a = [1 2] + [10 20];")).to.deep.equal([[11, 22]]);
      // A '.' after a number belongs to the operator: 1./x is 1 ./ x.
      expect(rowsOf("a = 1./[2 4];")).to.deep.equal([[0.5, 0.25]]);
      expect(rowsOf("a = 2.^[1 2];")).to.deep.equal([[2, 4]]);
      expect(rowsOf("a = 3.*[1 2];")).to.deep.equal([[3, 6]]);
    });

    it("multiplies matrices", () => {
      expect(rowsOf("a = [1 2; 3 4] * [5; 6];")).to.deep.equal([[17], [39]]);
      expect(rowsOf("a = [1 2] * [3 4; 5 6];")).to.deep.equal([[13, 16]]);
      expect(rowsOf("a = [1; 2] * [3 4];")).to.deep.equal([
        [3, 4],
        [6, 8],
      ]);
      expectFailure("a = [1 2] * [3 4];", 1, /inner dimensions 2 and 1 do not agree for '\*'/);
    });

    it("transposes with ' and .'", () => {
      expect(rowsOf("a = [1 2 3]';")).to.deep.equal([[1], [2], [3]]);
      expect(rowsOf("b = [1 2; 3 4]; a = b.';")).to.deep.equal([
        [1, 3],
        [2, 4],
      ]);
      expect(rowsOf("a = [1 2].';")).to.deep.equal([[1], [2]]);
      expect(rowsOf("b = [1 2; 3 4]; a = b(1, :)';")).to.deep.equal([[1], [2]]);
      expect(rowsOf("b = [1 2]; a = -b';")).to.deep.equal([[-1], [-2]]);
    });

    it("refuses what it does not compute: sizes that do not match, matrix division and powers", () => {
      expectFailure("a = [1 2] + [1 2 3];", 1, /operands of '\+' have sizes 1x2 and 1x3/);
      // MATLAB would expand [1 2] + [1; 2] to 2x2; refused rather than guessed.
      expectFailure("a = 1;\nb = [1 2] + [1; 2];", 2, /operands of '\+' have sizes 1x2 and 2x1/);
      expectFailure("a = 1;\n\nb = [1 2] / [1 2];", 3, /matrix right division is not supported/);
      expectFailure("a = 2 \\ 4;", 1, /matrix left division is not supported/);
      expectFailure("a = [1 2; 3 4]^2;", 1, /matrix power is not supported/);
      expectFailure("a = 2^[1 2];", 1, /matrix power is not supported/);
      expectFailure("a = 'x' + 1;", 1, /arithmetic on a non-numeric value/);
      expectFailure("a = {1}';", 1, /only numeric matrices can be transposed/);
    });
  });

  describe("ranges", () => {
    it("builds ranges with and without a step", () => {
      expect(rowsOf("a = 1:5;")).to.deep.equal([[1, 2, 3, 4, 5]]);
      expect(rowsOf("a = 5:-2:0;")).to.deep.equal([[5, 3, 1]]);
      expect(rowsOf("a = 0:0.25:1;")).to.deep.equal([[0, 0.25, 0.5, 0.75, 1]]);
      expect(rowsOf("a = 1.5:3;")).to.deep.equal([[1.5, 2.5]]);
      expect(rowsOf("a = -1:1;")).to.deep.equal([[-1, 0, 1]]);
      expect(rowsOf("n = 3; a = 1:n+1;")).to.deep.equal([[1, 2, 3, 4]]);
      expect(rowsOf("a = (1:3)';")).to.deep.equal([[1], [2], [3]]);
    });

    it("gives empty ranges", () => {
      expect(matrixOf("a = 3:1;")).to.deep.equal({ kind: "matrix", rows: 1, cols: 0, data: [] });
      expect(matrixOf("a = 1:-1:3;")).to.deep.equal({ kind: "matrix", rows: 1, cols: 0, data: [] });
      expect(matrixOf("a = 1:0:3;")).to.deep.equal({ kind: "matrix", rows: 1, cols: 0, data: [] });
    });

    it("computes each element from the start (no drift) and ends exactly at the stop value", () => {
      const m = matrixOf("a = 0:0.1:1;");
      expect(m.cols).to.equal(11);
      expect(m.data[10]).to.equal(1);
      m.data.forEach((x, k) => expect(x).to.equal(k * 0.1));
      const down = matrixOf("a = 1:-0.1:0;");
      expect(down.cols).to.equal(11);
      expect(down.data[10]).to.equal(0);
      expect(matrixOf("a = 0:0.1:0.3;").data[3]).to.equal(0.3);
    });

    it("treats [1 :3] as a range (':' is never unary)", () => {
      expect(rowsOf("a = [1 :3];")).to.deep.equal([[1, 2, 3]]);
      expect(rowsOf("a = [1:3 7];")).to.deep.equal([[1, 2, 3, 7]]);
      expect(rowsOf("a = [1 : 2, 5:6];")).to.deep.equal([[1, 2, 5, 6]]);
    });

    it("refuses ranges with non-scalar or infinite bounds", () => {
      expectFailure("a = 1;\nb = [1 2]:3;", 2, /expected a scalar/);
      expectFailure("a = 1:Inf;", 1, /a range needs finite start, step and stop/);
    });
  });
});
