/**
 * Shared test helpers: where MATPOWER's reference material lives, how to read its solutions,
 * and physical checks that hold for any solved power flow.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import type { PowerCase, PowerFlowResult } from "../../oracle";
import { BUS } from "../../oracle";

/** `../shared/matpower` beside the project root; absent on machines without the reference set. */
export const MATPOWER_DIR = resolve(__dirname, "../../../shared/matpower");
export const HAVE_MATPOWER = existsSync(join(MATPOWER_DIR, "ref"));
export const SKIP_REASON = `MATPOWER reference set not found at ${MATPOWER_DIR}: parity tests skipped`;

/** Registers a `before` hook that skips the suite (with a printed reason) when ../shared is absent. */
export function requireMatpower(): void {
  before(function () {
    if (!HAVE_MATPOWER) {
      console.log(`      ${SKIP_REASON}`);
      this.skip();
    }
  });
}

export const casePath = (name: string): string => join(MATPOWER_DIR, "cases", `${name}.m`);
export const rawCasePath = (name: string): string => join(MATPOWER_DIR, "raw", `${name}.m`);

export interface MatpowerReference {
  readonly baseMVA: number;
  readonly bus: number[][];
  readonly gen: number[][];
  readonly branch: number[][];
  readonly solution: {
    readonly success: boolean;
    readonly iterations: number;
    readonly Vm: number[];
    readonly Va: number[];
    readonly Pg: number[];
    readonly Qg: number[];
    readonly PF: number[];
    readonly QF: number[];
    readonly PT: number[];
    readonly QT: number[];
  };
}

/** Reads ref/<name>.json. MATLAB's JSON encoder writes one-row matrices and one-element vectors flat. */
export function loadReference(name: string): MatpowerReference {
  const doc = JSON.parse(readFileSync(join(MATPOWER_DIR, "ref", `${name}.json`), "utf8"));
  const vector = (x: number | number[]): number[] => (Array.isArray(x) ? x : [x]);
  const matrix = (m: number[] | number[][]): number[][] =>
    m.length > 0 && !Array.isArray(m[0]) ? [m as number[]] : (m as number[][]);
  const s = doc.solution;
  return {
    baseMVA: doc.baseMVA,
    bus: matrix(doc.bus),
    gen: matrix(doc.gen),
    branch: matrix(doc.branch),
    solution: {
      success: Boolean(s.success),
      iterations: s.iterations,
      Vm: vector(s.Vm),
      Va: vector(s.Va),
      Pg: vector(s.Pg),
      Qg: vector(s.Qg),
      PF: vector(s.PF),
      QF: vector(s.QF),
      PT: vector(s.PT),
      QT: vector(s.QT),
    },
  };
}

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length, "vector lengths").to.equal(b.length);
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);
}

/**
 * Kirchhoff's current law at every energised bus, from the reported results alone:
 * generation − demand − shunt = Σ branch flows leaving the bus (MW and MVAr).
 * Returns the largest imbalance.
 */
export function worstBusImbalance(c: PowerCase, r: PowerFlowResult): number {
  const rowOf = new Map(c.bus.map((row, i) => [row[BUS.BUS_I], i] as const));
  const p = new Float64Array(c.bus.length);
  const q = new Float64Array(c.bus.length);
  r.gens.forEach((g) => {
    const i = rowOf.get(g.bus) as number;
    p[i] += g.pg;
    q[i] += g.qg;
  });
  c.bus.forEach((row, i) => {
    const v2 = r.buses[i].vm ** 2;
    p[i] -= row[BUS.PD] + row[BUS.GS] * v2;
    q[i] -= row[BUS.QD] - row[BUS.BS] * v2;
  });
  r.branches.forEach((b) => {
    const f = rowOf.get(b.from) as number;
    const t = rowOf.get(b.to) as number;
    p[f] -= b.pf;
    q[f] -= b.qf;
    p[t] -= b.pt;
    q[t] -= b.qt;
  });
  const isolated = new Set(r.isolatedBuses);
  let worst = 0;
  c.bus.forEach((row, i) => {
    if (!isolated.has(row[BUS.BUS_I])) worst = Math.max(worst, Math.abs(p[i]), Math.abs(q[i]));
  });
  return worst;
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
