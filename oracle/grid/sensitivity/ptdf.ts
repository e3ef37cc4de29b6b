/**
 * DC power-transfer distribution factors (MATPOWER's makePTDF with the slack at the reference
 * bus or buses), on the network model's DC network — the same B-theta model as the DC power
 * flow: |V| = 1, lossless branches with susceptance 1/(x·tap); phase shifts and shunts are
 * constant injections and drop out of the sensitivities. Monitored flow = pf (= (pf − pt)/2, the
 * DC flow being lossless).
 *
 * With Bred the susceptance matrix over non-reference buses and Bf the branch–angle matrix,
 * PTDF = Bf·Bred⁻¹; row l is found from one solve Bredᵀ·y = Bf(l, :)ᵀ.
 */
import type { NetworkModel } from "../model/network";
import { checkBranches, type FlowSensitivities } from "./ac";

/** DC PTDF rows for internal branches `branches`; no operating point needed. */
export function dcFlowSensitivities(model: NetworkModel, branches: ArrayLike<number>): FlowSensitivities {
  const { index } = model;
  const rows = checkBranches(index.branches.count, branches);
  const dc = model.dcNetwork();
  const nb = index.buses.count;
  const br = index.branches;
  const rhs = new Float64Array(dc.size);
  const sol = new Float64Array(dc.size);
  const matrix = Array.from(rows, (l) => {
    const out = new Float64Array(nb);
    const uf = dc.unknown[br.from[l]];
    const ut = dc.unknown[br.to[l]];
    if (uf < 0 && ut < 0) return out;
    if (uf >= 0) rhs[uf] += dc.b[l];
    if (ut >= 0) rhs[ut] -= dc.b[l];
    dc.lu.solveTransposed(rhs, sol);
    if (uf >= 0) rhs[uf] = 0;
    if (ut >= 0) rhs[ut] = 0;
    for (let i = 0; i < nb; i++) if (dc.unknown[i] >= 0) out[i] = sol[dc.unknown[i]];
    return out;
  });
  return { branches: rows, matrix, method: "dc", lossFactors: new Float64Array(nb) };
}
