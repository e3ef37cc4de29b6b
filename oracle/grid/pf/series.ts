/**
 * Time-series load flow (lightsim2grid's TimeSerie idea): one network, many sets of injections in
 * a row — the periods of a day. Between periods nothing about the network changes, so the network
 * model (indexing, Ybus, Jacobian pattern, symbolic LU analysis) is built once, and each period
 * starts from the previous period's voltages.
 *
 * On top of that warm start, a chord predictor: the LU factors of the last Jacobian the network's
 * Newton system holds (from the previous period's last iteration, a few percent of load away) are
 * used for a few Newton steps with that fixed matrix — each costs one mismatch evaluation and one
 * triangular solve, no Jacobian and no factorisation. While the mismatch shrinks at least twofold
 * per step it goes on; the best iterate then starts `solvePowerFlow`, which checks the true
 * mismatch against the tolerance and runs full Newton iterations only if it is not yet met. The
 * answer is therefore exactly as accurate as a cold solve; only the path differs. Any failure of
 * the predictor (no factors yet, a diverging step) leaves the plain warm start.
 */
import { BUS_TYPE_PQ } from "../case/columns";
import type { NetworkModel } from "../model/network";
import type { Injections, OperatingPoint } from "./point";
import { DEFAULT_TOLERANCE, solvePowerFlow, type PowerFlowOptions, type WarmStart } from "./runpf";
import { indicator, maxMismatch } from "./solver";

export interface SeriesOptions extends PowerFlowOptions {
  /** Largest number of chord steps before Newton takes over (default 8; 0 = warm start only). */
  readonly maxChordSteps?: number;
}

export interface SeriesStep {
  readonly point: OperatingPoint;
  /** Chord steps with the previous factors, and the full Newton iterations after them. */
  readonly chordSteps: number;
  readonly newtonIterations: number;
}

export class PowerFlowSeries {
  private last: OperatingPoint | undefined;

  constructor(
    readonly model: NetworkModel,
    private readonly options: SeriesOptions = {},
  ) {}

  /** Solves the network for `injections`, starting from the last solution of this series. */
  solve(injections: Injections): SeriesStep {
    let start: WarmStart | undefined = this.last && { vm: this.last.vm, va: this.last.va };
    let chordSteps = 0;
    if (this.last && (this.options.algorithm ?? "nr") === "nr" && !this.options.enforceQLimits) {
      const predicted = this.predict(this.last, injections);
      if (predicted) ({ start, steps: chordSteps } = predicted);
    }
    const point = solvePowerFlow(this.model, injections, this.options, start);
    this.last = point;
    return { point, chordSteps, newtonIterations: point.iterations };
  }

  /** Forgets the last solution: the next solve starts from the case's voltages. */
  reset(): void {
    this.last = undefined;
  }

  private predict(last: OperatingPoint, injections: Injections): { start: WarmStart; steps: number } | undefined {
    const maxSteps = this.options.maxChordSteps ?? 8;
    if (maxSteps <= 0 || last.types !== this.model.baseTypes) return undefined;
    const { index, ybus } = this.model;
    const nb = index.buses.count;
    const types = last.types;
    const { jacobian, lu } = this.model.newtonSystem(types);
    const { angle, magnitude } = jacobian;
    const tolerance = this.options.tolerance ?? DEFAULT_TOLERANCE;

    // Specified injections, per unit (as the Newton solve builds them), and the start: the last
    // voltages with the new set points at voltage-controlled buses.
    const sbusRe = new Float64Array(nb);
    const sbusIm = new Float64Array(nb);
    const g = index.gens;
    const vm = Float64Array.from(last.vm);
    const va = Float64Array.from(last.va);
    for (let k = 0; k < g.count; k++) {
      sbusRe[g.bus[k]] += injections.pg[k];
      sbusIm[g.bus[k]] += injections.qg[k];
      if (types.type[g.bus[k]] !== BUS_TYPE_PQ) vm[g.bus[k]] = injections.vg[k];
    }
    for (let i = 0; i < nb; i++) {
      sbusRe[i] = (sbusRe[i] - injections.pd[i]) / index.baseMVA;
      sbusIm[i] = (sbusIm[i] - injections.qd[i]) / index.baseMVA;
    }
    const input = { ybus, sbusRe, sbusIm, vm0: vm, va0: va, ref: types.ref, pv: types.pv, pq: types.pq, tolerance };
    const isRef = indicator(nb, types.ref);
    const isPq = indicator(nb, types.pq);
    const vRe = new Float64Array(nb);
    const vIm = new Float64Array(nb);
    const iRe = new Float64Array(nb);
    const iIm = new Float64Array(nb);
    const f = new Float64Array(jacobian.size);
    const dx = new Float64Array(jacobian.size);
    const layout = { f, angle, magnitude };
    const mismatchAt = (m: Float64Array, a: Float64Array): number => {
      for (let i = 0; i < nb; i++) {
        vRe[i] = m[i] * Math.cos(a[i]);
        vIm[i] = m[i] * Math.sin(a[i]);
      }
      return maxMismatch({ ...input, maxIterations: 0 }, vRe, vIm, iRe, iIm, isRef, isPq, layout);
    };

    let mismatch = mismatchAt(vm, va);
    let steps = 0;
    const trialVm = new Float64Array(nb);
    const trialVa = new Float64Array(nb);
    while (steps < maxSteps && mismatch >= tolerance) {
      try {
        lu.solve(f, dx);
      } catch {
        break; // no factors to reuse (nothing factorised this network yet): plain warm start
      }
      for (let i = 0; i < nb; i++) {
        trialVa[i] = angle[i] >= 0 ? va[i] - dx[angle[i]] : va[i];
        trialVm[i] = magnitude[i] >= 0 ? vm[i] - dx[magnitude[i]] : vm[i];
      }
      const next = mismatchAt(trialVm, trialVa);
      // Keep a step only while it at least halves the mismatch; NaN compares false.
      if (!(next < mismatch / 2)) break;
      vm.set(trialVm);
      va.set(trialVa);
      mismatch = next;
      steps++;
    }
    return { start: { vm, va }, steps };
  }
}

/**
 * `base` with demands (per bus row of the case, MW and MVAr) and unit outputs (per gen row, MW)
 * replaced, read through the model's row maps: a period's injections without building a case.
 */
export function injectionsWith(
  model: NetworkModel,
  base: Injections,
  values: {
    readonly pd?: ArrayLike<number>;
    readonly qd?: ArrayLike<number>;
    readonly pg?: ArrayLike<number>;
  },
): Injections {
  const { buses, gens } = model.index;
  const source = model.index.source;
  const pick = (from: ArrayLike<number> | undefined, rows: Int32Array, count: number, fallback: Float64Array) => {
    if (!from) return fallback;
    if (from.length !== count) throw new RangeError(`expected ${count} values (one per case row), got ${from.length}`);
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = from[rows[i]];
    return out;
  };
  return {
    ...base,
    pd: pick(values.pd, buses.row, source.bus.length, base.pd),
    qd: pick(values.qd, buses.row, source.bus.length, base.qd),
    pg: pick(values.pg, gens.row, source.gen.length, base.pg),
  };
}
