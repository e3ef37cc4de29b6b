/**
 * The fast path for numeric matrix literals in case files (oracle/grid/case/matlab/literal.ts).
 * It must be invisible: a literal the scanner takes (a plain block of numbers right after `=`)
 * reads exactly as the interpreter reads the same literal anywhere else, token by token — the
 * same matrices bit for bit, or the same error at the same file and line. Both paths are the
 * real reader: `a = +[…]` (unary plus, the identity on a matrix) puts the literal out of the
 * scanner's reach without changing what it means.
 */
import { expect } from "chai";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { CaseFormatError, parseMatpowerCase } from "../../../oracle";
import { runMatlabProgram, type MatrixValue } from "../../../oracle/grid/case/matlab";
import { scanNumericLiteral } from "../../../oracle/grid/case/matlab/literal";
import { tokenize } from "../../../oracle/grid/case/matlab/tokens";
import { MATPOWER_DIR, requireMatpower } from "../helpers";

const FILE = "lit.m";

type Outcome = { variables: unknown } | { error: string; line: number | undefined };

function outcome(source: string): Outcome {
  try {
    return { variables: runMatlabProgram(source, FILE).variables };
  } catch (e) {
    if (!(e instanceof CaseFormatError)) throw e;
    return { error: e.message, line: e.line };
  }
}

/** `source` with every literal assigned by `=` out of the scanner's reach: `= [` → `= +[`. */
const tokenByToken = (source: string): string => source.replace(/= \[/g, "= +[");

/**
 * The same outcome, with the names a row-length error gives a literal left out: the interpreter
 * names a literal after what it is assigned to (`mpc.bus row 3 has …`), which `+[…]` is not.
 */
const unnamed = (o: Outcome): Outcome =>
  "error" in o
    ? { ...o, error: o.error.replace(/\S+ row (\d+) has (\d+) columns/, "<literal> row $1 has $2 columns") }
    : o;

/** Both paths agree on `source` (chai's deep equality tells -0 from 0 and NaN equals NaN). */
function expectSameOutcome(source: string): Outcome {
  const fast = outcome(source);
  const parsed = tokenByToken(source);
  expect(parsed, "the test rewrote the literal").to.not.equal(source);
  expect(unnamed(fast), JSON.stringify(source)).to.deep.equal(unnamed(outcome(parsed)));
  return fast;
}

/** Bits of a number, to compare literal values exactly. */
const bits = (x: number): string => Buffer.from(Float64Array.of(x).buffer).toString("hex");

describe("numeric matrix literals: fast scanner = interpreter", () => {
  it("a literal right after `=` is scanned (one token); after `= +` it is parsed token by token", () => {
    const kinds = (source: string): string[] => tokenize(source, FILE).map((t) => t.kind);
    expect(kinds("a = [1 -2; 3 4];")).to.deep.equal(["id", "op", "mat", "op", "eof"]);
    expect(kinds("a = +[1 -2; 3 4];")).to.not.include("mat");
  });

  describe("the scanner itself", () => {
    it("reads plain blocks of numbers, with comments, continuations, CRLF and blank rows", () => {
      const src = "a = [\r\n\t1\t-2.5e3, .5 ;% comment\r\n 3 +4 ... more\n -Inf\n\n;-0 7 ...\n NaN;];";
      const m = scanNumericLiteral(src, src.indexOf("[")) as MatrixValue;
      expect([m.rows, m.cols]).to.deep.equal([3, 3]);
      expect(m.data.map(bits)).to.deep.equal([1, -2500, 0.5, 3, 4, -Infinity, -0, 7, NaN].map(bits));
    });

    it("declines whatever it does not read exactly as the interpreter would", () => {
      for (const literal of [
        "[1 - 2]", // subtraction
        "[1-2]",
        "[- 1]", // blank after a sign
        "[x 1]", // a name
        "[1 2; 3]", // unequal rows: the interpreter reports them
        "[1 2", // unterminated
        "[1 2\n%{\n3 4\n%}\n]", // block comment
        "[1...\n2]",
        "[1e 2]",
        "[1.' 2]",
        "[2i]",
        "[pi]",
        "[[1 2]]",
        "[1 2]'".slice(1), // not at a bracket
        "[1\f2]",
        "[1 −2]", // Unicode minus
        "[1 # 2]",
      ]) {
        expect(scanNumericLiteral(literal, 0), literal).to.equal(undefined);
      }
    });

    it("parses numbers to the same doubles as Number(text), including past 15 digits and 1e±22", () => {
      const texts = [
        "0",
        "007",
        "1.",
        "1.e2",
        ".5",
        "0.1",
        "0.3",
        "2.5e+2",
        "1E-2",
        "123456789012345",
        "1234567890123456789",
        "0.12345678901234567",
        "9007199254740993",
        "1e22",
        "1e23",
        "1.5e-22",
        "1e-23",
        "4.9e-324",
        "2e-324",
        "1.7976931348623157e308",
        "1e400",
        "0." + "1234567890".repeat(8),
        "1.026728",
        "-38.460832",
      ];
      for (const t of texts) {
        const m = scanNumericLiteral(`[${t}]`, 0) as MatrixValue;
        const expected = t.startsWith("-") ? -Number(t.slice(1)) : Number(t);
        expect(bits(m.data[0]), t).to.equal(bits(expected));
      }
    });

    it("agrees with Number(text) on random decimal literals (property)", () => {
      const digits = (min: number, max: number): fc.Arbitrary<string> =>
        fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((d) => d.join(""));
      const literal = fc
        .tuple(
          digits(1, 18),
          fc.option(digits(0, 18)),
          fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 3))),
        )
        .map(([int, frac, exp]) => `${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : exp.join("")}`);
      fc.assert(
        fc.property(literal, (t) => {
          const m = scanNumericLiteral(`[${t}]`, 0) as MatrixValue;
          return m !== undefined && bits(m.data[0]) === bits(Number(t));
        }),
        { numRuns: 3000, seed: 20261124 },
      );
    });
  });

  describe("programs", () => {
    it("gives the same values on literals the scanner takes and on those it leaves", () => {
      for (const src of [
        "a = [1 -2];",
        "a = [1 - 2];",
        "a = [1-2];",
        "a = [1 +2];",
        "a = [1, -2, +3;4,5,6];",
        "a = [1,2,3;;\n\n4 5 6;]",
        "a = [];",
        "a = [;];",
        "a = [\n];",
        "a = [1 2]';",
        "a = [1 2]' * 2;",
        "a = [1 2] * [3; 4];",
        "a = [-0 0 +0];",
        "a = [Inf -Inf inf NaN nan -NaN];",
        "a = [1 ...\n 2];",
        "a = [1 2 % x\n 3 4];",
        "a = [1 2\r\n3 4];",
        "a = [1 2\n%{\n3 4\n%}\n5 6];",
        "x = 5;\na = [x -1 x - 1 x-1];",
        "s.m = [1 2; 3 4];\ns.m(2, :) = [5 6];\nt = s.m';",
        "a = [1 2]; b = [a [3 4]];",
        "function mpc = c\nmpc.bus = [\n\t1\t3\t0;\n\t2\t1\t1.5e2;\n];\nmpc.bus(:, 3) = mpc.bus(:, 3) / 1e3;",
      ]) {
        expect(expectSameOutcome(src), src).to.have.property("variables");
      }
    });

    it("reports the same error at the same line for malformed blocks", () => {
      const cases: [string, number, RegExp][] = [
        ["x = 1;\nmpc.bus = [\n1 2 3;\n4 5 6;\n7 8;\n];", 5, /mpc\.bus row 3 has 2 columns but the rows above have 3/],
        ["a = 1;\nb = [1 2\n3 4\n", 4, /unterminated matrix opened at line 2/],
        ["a = [1 'x'];", 1, /non-numeric cell 'x' in a matrix/],
        ["a = 1;\na = [1 2; 3 4](1, 2);", 2, /unexpected '\(' after statement/],
        ["a = [1 2];\n\nb = [1 2] + [1 2 3];", 3, /operands of '\+' have sizes 1x2 and 1x3/],
        ["mpc.gen = [\n1 2;\n3 4e];\n", 3, /undefined name 'e'/],
        ["mpc.gen = [\n1 2;\n3 4\f];\n", 3, /unexpected character/],
        ["mpc.gen = [1 2];\nmpc.gen(3, 1) = [1 2];\nfor k = 1:2\n", 2, /cannot assign a 1x2 value to a 1x1 selection/],
        ["mpc.bus = [1 2\n3 4];\nmpc.x = [1...\n2];", 3, /unexpected '\.'/],
        ["mpc.bus = [1 2\n3 4];\n\nfor k = 1:2\n", 4, /unsupported statement 'for'/],
      ];
      for (const [src, line, pattern] of cases) {
        const r = expectSameOutcome(src);
        expect(r, src).to.have.property("error").that.matches(pattern);
        expect((r as { line: number }).line, src).to.equal(line);
      }
    });

    it("agrees on random literal soup: same values or the same error (property)", () => {
      const pieces = [
        "1",
        "-2",
        "+3",
        "4.5",
        ".5",
        "6e2",
        "7E-1",
        "1.",
        "Inf",
        "-Inf",
        "NaN",
        " ",
        "\t",
        ",",
        ";",
        "\n",
        "\r\n",
        " - ",
        "-",
        "+",
        " ...\n",
        "...",
        "% c\n",
        "%{\n",
        "%}\n",
        "x",
        "e",
        "'",
        "[",
        "]",
        "(",
        ")",
        "*",
        "2",
        "0",
        "12345678901234567",
      ];
      const body = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join(""));
      fc.assert(
        fc.property(body, fc.boolean(), (text, closed) => {
          const src = `x = 1;\na = [${text}${closed ? "]" : ""};\nb = 2;\n`;
          expectSameOutcome(src);
        }),
        { numRuns: 2000, seed: 1354 },
      );
    });
  });

  describe("MATPOWER files in ../shared", function () {
    requireMatpower();
    this.timeout(60_000);

    const files = (): string[] =>
      ["cases", "raw"].flatMap((dir) =>
        readdirSync(join(MATPOWER_DIR, dir))
          .filter((f) => f.endsWith(".m"))
          .map((f) => join(MATPOWER_DIR, dir, f)),
      );

    it("every file reads to the same variables with its data scanned and parsed token by token", () => {
      const all = files();
      expect(all.length).to.be.at.least(10);
      for (const path of all) {
        const source = readFileSync(path, "utf8");
        // Node's strict deep equality (Object.is on numbers: NaN = NaN, -0 ≠ 0) is fast on large matrices.
        const same = isDeepStrictEqual(
          runMatlabProgram(source, path).variables,
          runMatlabProgram(tokenByToken(source), path).variables,
        );
        expect(same, path).to.equal(true);
      }
    });

    it("every data block of every file is one the scanner reads (the fast path is really taken)", () => {
      for (const path of files()) {
        const source = readFileSync(path, "utf8");
        const blocks = [...source.matchAll(/^mpc\.(bus|gen|branch|gencost) = \[/gm)];
        expect(blocks.length, path).to.be.at.least(3);
        for (const b of blocks) {
          const m = scanNumericLiteral(source, (b.index as number) + b[0].length - 1);
          expect(m, `${path}: mpc.${b[1]}`).to.not.equal(undefined);
        }
      }
    });

    it("a corrupted row in a real case fails at its own line, as before", () => {
      const path = join(MATPOWER_DIR, "cases", "case118.m");
      const lines = readFileSync(path, "utf8").split("\n");
      const busStart = lines.findIndex((l) => l.startsWith("mpc.bus = ["));
      const bad = busStart + 6; // 0-based index of a bus row
      for (const [corrupt, pattern] of [
        [(l: string) => l.replace(/\s\S+;$/, ";"), /mpc\.bus row 6 has 12 columns but the rows above have 13/],
        [(l: string) => l.replace(/\t1\.0\d*\t/, "\t1.0x\t"), /undefined name 'x'|unexpected/],
      ] as [(l: string) => string, RegExp][]) {
        const text = lines.map((l, k) => (k === bad ? corrupt(l) : l)).join("\n");
        expect(text).to.not.equal(lines.join("\n"));
        const r = expectSameOutcome(text);
        expect(r).to.have.property("error").that.matches(pattern);
        expect((r as { line: number }).line).to.equal(bad + 1);
        expect(() => parseMatpowerCase(text, path)).to.throw(CaseFormatError, `${path}:${bad + 1}: `);
      }
    });
  });
});
