/** Helpers shared by the case-input tests (split by concern). */
import { expect } from "chai";
import { parseMatpowerCase, type PowerCase } from "../../../oracle";

export type Row = number[];

// A 3-bus meshed system with non-consecutive bus numbers: slack 10, load 20, PV 30.
//   bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin
export const BUS_ROWS: Row[] = [
  [10, 3, 0, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
  [20, 1, 90, 30, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
  [30, 2, 100, 35, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
];
//   bus Pg Qg Qmax Qmin Vg mBase status Pmax Pmin, then 11 zeros (21 columns)
export const GEN_ROWS: Row[] = [
  [10, 0, 0, 300, -300, 1.04, 100, 1, 250, 10, ...new Array<number>(11).fill(0)],
  [30, 163, 0, 300, -300, 1.025, 100, 1, 300, 10, ...new Array<number>(11).fill(0)],
];
//   fbus tbus r x b rateA rateB rateC ratio angle status angmin angmax
export const BRANCH_ROWS: Row[] = [
  [10, 20, 0.01, 0.085, 0.176, 250, 250, 250, 0, 0, 1, -360, 360],
  [20, 30, 0.017, 0.092, 0.158, 250, 250, 250, 0, 0, 1, -360, 360],
  [10, 30, 0.0119, 0.1008, 0.209, 150, 150, 150, 0, 0, 1, -360, 360],
];

export const copy = (m: readonly Row[]): Row[] => m.map((r) => r.slice());

export interface CaseParts {
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

export function matlabMatrix(name: string, rows: readonly Row[]): string {
  const cell = (x: number): string => (x === Infinity ? "Inf" : x === -Infinity ? "-Inf" : String(x));
  const body = rows.map((r) => `\t${r.map(cell).join("\t")};`).join("\n");
  return `mpc.${name} = [\n${body}\n];`;
}

/** A MATPOWER version-2 case file in the layout MATPOWER itself writes. */
export function matpowerSource(p: CaseParts = {}): string {
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

export function jsonSource(p: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: "tri", baseMVA: 100, bus: BUS_ROWS, gen: GEN_ROWS, branch: BRANCH_ROWS, ...p });
}

/** 1-based number of the first line of `source` containing `needle`. */
export function lineOf(source: string, needle: string): number {
  const k = source.split("\n").findIndex((l) => l.includes(needle));
  expect(k, `'${needle}' in the source`).to.be.at.least(0);
  return k + 1;
}

/** Runs `fn`, which must throw an instance of `cls` whose message matches `pattern`; returns the error. */
export function expectThrow<E extends Error>(
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

export const parse = (p: CaseParts = {}): PowerCase => parseMatpowerCase(matpowerSource(p), "tri.m");
