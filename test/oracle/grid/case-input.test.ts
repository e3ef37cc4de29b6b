/**
 * Case input, good and bad: the MATPOWER (.m) and JSON readers, structural validation, internal
 * indexing and the errors that only surface when a case is solved. Every error is checked for
 * its class and for a message that names the problem (matrix, row, bus, file and line).
 * Self-contained: small inline cases, no reference data from ../shared.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  BUS,
  CaseDataError,
  CaseFormatError,
  GEN,
  PowerFlowNotConvergedError,
  UnsupportedCaseError,
  loadCase,
  parseJsonCase,
  parseMatpowerCase,
  runPowerFlow,
  toInternal,
  validateCase,
  type PowerCase,
} from "../../../oracle";
import { worstBusImbalance } from "../helpers";

type Row = number[];

// A 3-bus meshed system with non-consecutive bus numbers: slack 10, load 20, PV 30.
//   bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin
const BUS_ROWS: Row[] = [
  [10, 3, 0, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
  [20, 1, 90, 30, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
  [30, 2, 100, 35, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
];
//   bus Pg Qg Qmax Qmin Vg mBase status Pmax Pmin, then 11 zeros (21 columns)
const GEN_ROWS: Row[] = [
  [10, 0, 0, 300, -300, 1.04, 100, 1, 250, 10, ...new Array<number>(11).fill(0)],
  [30, 163, 0, 300, -300, 1.025, 100, 1, 300, 10, ...new Array<number>(11).fill(0)],
];
//   fbus tbus r x b rateA rateB rateC ratio angle status angmin angmax
const BRANCH_ROWS: Row[] = [
  [10, 20, 0.01, 0.085, 0.176, 250, 250, 250, 0, 0, 1, -360, 360],
  [20, 30, 0.017, 0.092, 0.158, 250, 250, 250, 0, 0, 1, -360, 360],
  [10, 30, 0.0119, 0.1008, 0.209, 150, 150, 150, 0, 0, 1, -360, 360],
];

const copy = (m: readonly Row[]): Row[] => m.map((r) => r.slice());

interface CaseParts {
  name?: string;
  version?: string;
  bus?: Row[];
  gen?: Row[];
  branch?: Row[];
  /** Matrices to leave out of the file. */
  omit?: ("bus" | "gen" | "branch")[];
  /** MATLAB text placed right after the branch matrix. */
  after?: string;
}

function matlabMatrix(name: string, rows: readonly Row[]): string {
  const cell = (x: number): string => (x === Infinity ? "Inf" : x === -Infinity ? "-Inf" : String(x));
  const body = rows.map((r) => `\t${r.map(cell).join("\t")};`).join("\n");
  return `mpc.${name} = [\n${body}\n];`;
}

/** A MATPOWER version-2 case file in the layout MATPOWER itself writes. */
function matpowerSource(p: CaseParts = {}): string {
  const omit = new Set(p.omit ?? []);
  const parts = [
    `function mpc = ${p.name ?? "tri"}`,
    "%TRI  Three-bus test case with non-consecutive bus numbers.",
    "",
    "%% MATPOWER Case Format : Version 2",
    `mpc.version = '${p.version ?? "2"}';`,
    "",
    "%%-----  Power Flow Data  -----%%",
    "%% system MVA base",
    "mpc.baseMVA = 100;",
    "",
    "%% bus data",
    "%\tbus_i\ttype\tPd\tQd\tGs\tBs\tarea\tVm\tVa\tbaseKV\tzone\tVmax\tVmin",
    omit.has("bus") ? "" : matlabMatrix("bus", p.bus ?? BUS_ROWS),
    "",
    "%% generator data",
    omit.has("gen") ? "" : matlabMatrix("gen", p.gen ?? GEN_ROWS),
    "",
    "%% branch data",
    omit.has("branch") ? "" : matlabMatrix("branch", p.branch ?? BRANCH_ROWS),
  ];
  if (p.after !== undefined) parts.push(p.after);
  return parts.join("\n") + "\n";
}

function jsonSource(p: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: "tri", baseMVA: 100, bus: BUS_ROWS, gen: GEN_ROWS, branch: BRANCH_ROWS, ...p });
}

/** 1-based number of the first line of `source` containing `needle`. */
function lineOf(source: string, needle: string): number {
  const k = source.split("\n").findIndex((l) => l.includes(needle));
  expect(k, `'${needle}' in the source`).to.be.at.least(0);
  return k + 1;
}

/** Runs `fn`, which must throw an instance of `cls` whose message matches `pattern`; returns the error. */
function expectThrow<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
  pattern: RegExp,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "an error is thrown").to.be.instanceOf(Error);
  expect(caught, `error class (got ${(caught as Error).name}: ${(caught as Error).message})`).to.be.instanceOf(cls);
  expect((caught as Error).message).to.match(pattern);
  return caught as E;
}

const parse = (p: CaseParts = {}): PowerCase => parseMatpowerCase(matpowerSource(p), "tri.m");

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
