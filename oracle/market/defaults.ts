/**
 * Operation data for a case that has none (any MATPOWER case): every in-service unit except
 * the master (slack) can be redispatched, at prices from its `gencost` marginal cost, and
 * optionally the most loaded lines get limits just below their present flow — a congested
 * scenario for studies, tests and benchmarks.
 */
import { GEN } from "../grid/case/columns";
import { DEFAULT_PERIOD_MINUTES, type OperationData, type RedispatchUnit } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { meanActiveFlow } from "../grid/limits/checks";
import { masterUnits } from "../grid/model/bustypes";
import type { PowerFlowResult } from "../grid/pf/results";

export interface ScenarioOptions {
  /** How many of the most loaded lines get a limit (default 0: no line limits). */
  readonly congestedLines?: number;
  /** Their limit as a fraction of their present mean flow (default 0.9). */
  readonly limitFraction?: number;
  /** Premium over marginal cost for raising output, and payment for lowering it, USD/MWh (default 5). */
  readonly premium?: number;
  /** Ramp within a period as a fraction of Pmax (default 0.2). */
  readonly rampFraction?: number;
  readonly periodMinutes?: number;
}

/** USD/MWh at output p from a MATPOWER gencost row (polynomial model 2 or piecewise linear model 1). */
export function marginalCost(row: readonly number[] | undefined, p: number): number {
  if (!row) return 0;
  const [model, , , n] = row;
  const coefficients = row.slice(4, 4 + (model === 1 ? 2 * n : n));
  if (model === 2) {
    // c(p) = Σ c_k p^(n-1-k); derivative at p.
    return coefficients.reduce((s, c, k) => {
      const power = n - 1 - k;
      return power === 0 ? s : s + power * c * p ** (power - 1);
    }, 0);
  }
  // Piecewise linear: slope of the segment containing p.
  for (let k = 2; k < coefficients.length; k += 2) {
    if (p <= coefficients[k] || k === coefficients.length - 2) {
      return (coefficients[k + 1] - coefficients[k - 1]) / (coefficients[k] - coefficients[k - 2] || 1);
    }
  }
  return 0;
}

export function defaultOperation(c: PowerCase, flow: PowerFlowResult, options: ScenarioOptions = {}): OperationData {
  const premium = options.premium ?? 5;
  const rampFraction = options.rampFraction ?? 0.2;
  const { index } = flow.point.model;
  const masterRows = Array.from(masterUnits(index), (k) => index.gens.row[k]);
  const master = masterRows.length > 0 ? masterRows[0] : -1;
  const units: RedispatchUnit[] = [];
  const inService = new Set(index.gens.row);
  c.gen.forEach((g, k) => {
    if (!inService.has(k) || masterRows.includes(k) || !(g[GEN.PMAX] > g[GEN.PMIN])) return;
    const mc = marginalCost(c.gencost?.[k], flow.gens[k].pg);
    units.push({
      gen: k + 1,
      kind: "dispatchable",
      upPrice: mc + premium,
      downPrice: premium,
      rampMW: rampFraction * g[GEN.PMAX],
    });
  });
  const limits = new Array<number>(c.branch.length).fill(0);
  const byLoading = flow.branches
    .map((b, l) => ({ l, p: Math.abs(meanActiveFlow(b)) }))
    .sort((a, b) => b.p - a.p)
    .slice(0, options.congestedLines ?? 0);
  for (const { l, p } of byLoading) limits[l] = (options.limitFraction ?? 0.9) * p;
  return {
    periodMinutes: options.periodMinutes ?? DEFAULT_PERIOD_MINUTES,
    branchActiveLimitMW: limits,
    masterEnergyPrice: master < 0 ? 0 : marginalCost(c.gencost?.[master], flow.gens[master].pg),
    units,
  };
}
