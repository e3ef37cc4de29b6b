/**
 * DC power flow (MATPOWER's dcpf) on the network model's DC network (makeBdc): |V| = 1, lossless
 * branches, phase shifters as fixed injections, one solve with the factorised reduced
 * susceptance matrix. The first unit at each reference bus takes up the balance (rundcpf).
 */
import type { NetworkModel } from "../model/network";
import type { Injections, OperatingPoint } from "./point";

export function solveDc(model: NetworkModel, injections: Injections): OperatingPoint {
  const { index } = model;
  const dc = model.dcNetwork();
  const nb = index.buses.count;
  const br = index.branches;
  const base = index.baseMVA;
  const gens = index.gens;

  // P = generation − demand − phase-shifter injection − shunt conductance at V = 1, per unit.
  const p = new Float64Array(nb);
  for (let k = 0; k < gens.count; k++) p[gens.bus[k]] += injections.pg[k];
  for (let i = 0; i < nb; i++) p[i] = (p[i] - injections.pd[i] - index.buses.gs[i]) / base;
  for (let l = 0; l < br.count; l++) {
    p[br.from[l]] -= dc.shiftFlow[l];
    p[br.to[l]] += dc.shiftFlow[l];
  }

  const va = Float64Array.from(injections.va0);
  const rhs = new Float64Array(dc.size);
  for (let i = 0; i < nb; i++) if (dc.unknown[i] >= 0) rhs[dc.unknown[i]] = p[i];
  // Reference angles are fixed: their coupling terms move to the right-hand side.
  for (let l = 0; l < br.count; l++) {
    const uf = dc.unknown[br.from[l]];
    const ut = dc.unknown[br.to[l]];
    if (uf >= 0 && ut < 0) rhs[uf] += dc.b[l] * va[br.to[l]];
    if (ut >= 0 && uf < 0) rhs[ut] += dc.b[l] * va[br.from[l]];
  }
  const theta = dc.lu.solve(rhs);
  for (let i = 0; i < nb; i++) if (dc.unknown[i] >= 0) va[i] = theta[dc.unknown[i]];

  const nl = br.count;
  const pf = new Float64Array(nl);
  const netFlow = new Float64Array(nb);
  for (let l = 0; l < nl; l++) {
    const flow = dc.b[l] * (va[br.from[l]] - va[br.to[l]]);
    pf[l] = (flow + dc.shiftFlow[l]) * base;
    netFlow[br.from[l]] += flow;
    netFlow[br.to[l]] -= flow;
  }
  let mismatch = 0;
  for (let i = 0; i < nb; i++) if (dc.unknown[i] >= 0) mismatch = Math.max(mismatch, Math.abs(netFlow[i] - p[i]));

  const pg = Float64Array.from(injections.pg);
  for (const bus of dc.ref) {
    for (let k = 0; k < gens.count; k++) {
      if (gens.bus[k] === bus) {
        pg[k] += (netFlow[bus] - p[bus]) * base;
        break;
      }
    }
  }
  const zeros = new Float64Array(nl);
  return {
    model,
    injections,
    algorithm: "dc",
    iterations: 1,
    mismatch,
    types: model.baseTypes,
    vm: new Float64Array(nb).fill(1),
    va,
    pg,
    // The DC model has no reactive power: Q quantities are reported as 0.
    qg: new Float64Array(gens.count),
    // 0 − pf, not −pf: an idle branch reports +0.
    flows: { pf, qf: zeros, pt: pf.map((x) => 0 - x), qt: zeros },
    losses: { p: 0, q: 0 },
    reactiveLimited: new Int32Array(0),
    warnings: [],
  };
}
