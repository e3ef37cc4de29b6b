/**
 * The exported redispatch problem as MATLAB text (opf-export.ts builds it): the MATPOWER case
 * file with its comments, the options it is meant to be solved with, and the two functions that
 * evaluate GridSwap's mean-flow limits as MATPOWER user constraints.
 */
import { BRANCH } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import type { MarketModel } from "./model";
import type { PeriodResult } from "./period";

/** Name of the user constraint set and of the functions that evaluate it. */
export const MEAN_FLOW_CONSTRAINT = "gs_mean_flow";
export const MEAN_FLOW_FUNCTION = "gridswap_mean_flow";
export const MEAN_FLOW_HESSIAN = "gridswap_mean_flow_hess";

/**
 * The MATPOWER options the problem is meant to be solved with (runopf's mpoption arguments).
 * MATPOWER 8.1's default MP-Core sizes the list of user-defined nonlinear constraint sets by their
 * rows (cell(nnle + nnli, 1) in dm_converter_mpc2_legacy) and fails on a set of more than one row;
 * its legacy core (opf_setup) builds them right, so the problem is solved there.
 */
export const OPF_OPTIONS: readonly (readonly [string, string | number])[] = [
  ["exp.use_legacy_core", 1],
  ["opf.ac.solver", "MIPS"],
  ["opf.flow_lim", "S"],
  ["opf.ignore_angle_lim", 1],
  ["mips.gradtol", 1e-10],
  ["mips.comptol", 1e-10],
  ["mips.costtol", 1e-12],
  ["mips.feastol", 1e-10],
  ["mips.max_it", 300],
];

/** `name` as a MATLAB identifier: other characters become _, a leading non-letter gets "c". */
export function matlabName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return (/^[A-Za-z]/.test(cleaned) ? cleaned : `c${cleaned}`).slice(0, 63);
}

/** A MATLAB number: shortest round-trip decimal, Inf, -Inf. */
function num(x: number): string {
  if (x === Infinity) return "Inf";
  if (x === -Infinity) return "-Inf";
  if (Number.isNaN(x)) throw new RangeError("cannot export NaN");
  return Object.is(x, -0) ? "0" : String(x);
}

function matrix(rows: readonly (readonly number[])[], comments?: readonly string[]): string {
  return rows.map((r, i) => `\t${r.map(num).join("\t")};${comments ? `\t% ${comments[i]}` : ""}`).join("\n");
}

export interface CaseParts {
  readonly name: string;
  readonly schedule: PowerCase;
  readonly result: PeriodResult;
  readonly market: MarketModel;
  readonly margin: number;
  readonly bus: number[][];
  readonly gen: number[][];
  readonly branch: number[][];
  readonly gencost: number[][];
  readonly lines: number[][];
  readonly limitedRows: number[];
  readonly genRows: number[];
  readonly differences: readonly string[];
}

export function caseFile(p: CaseParts): string {
  const iso = (s: number): string => new Date(s * 1000).toISOString().replace(".000Z", "Z");
  const { market, result } = p;
  const rd = result.redispatch;
  const options = OPF_OPTIONS.map(([k, v]) => `'${k}', ${typeof v === "string" ? `'${v}'` : num(v)}`).join(", ");
  const units = market.units.map((u) => `gen ${u.genRow} (bus ${u.busId})`).join(", ");
  const genComments = p.genRows.map((row, k) => {
    const u = market.units.find((x) => x.unit === k);
    const role = market.master.includes(k)
      ? "master unit"
      : u
        ? `market unit, up ${u.upPrice} / down ${u.downPrice} USD/MWh`
        : "fixed";
    return `case gen row ${row + 1}: ${role}`;
  });
  const lineComments = p.lines.map((_, i) => {
    const l = p.limitedRows[i];
    const b = p.schedule.branch[l - 1];
    return `branch row ${l}: ${b[BRANCH.F_BUS]}-${b[BRANCH.T_BUS]}`;
  });
  const limitNote =
    p.margin > 0
      ? `the operation data's limits less GridSwap's margin of ${p.margin} (the limits its LP aims at)`
      : "the operation data's limits";
  const header = [
    `function mpc = ${p.name}`,
    `%${p.name.toUpperCase()}  GridSwap's redispatch of ${p.schedule.name}, period ${iso(result.period.start)} - ${iso(result.period.end)}, as an AC OPF.`,
    `%   Written by \`npm run period -- <case> --export-opf DIR\`. GridSwap's own answer: ${p.name}.gridswap.json.`,
    `%   GridSwap: ${rd.status} in ${rd.rounds} round(s), ${rd.adjustments.length} move(s), ${rd.bindingLines.length} binding line(s).`,
    "%",
    "%   The problem (GridSwap's, in MATPOWER's terms):",
    `%   - market units ${units || "(none)"}: piecewise-linear cost through (schedule, 0), the down bid below`,
    "%     and the up bid above it, within the ramp and [Pmin, Pmax] (PMIN, PMAX); the master unit at its",
    `%     energy price (${market.masterEnergyPrice} USD/MWh) within its own limits; every other unit fixed (PMIN = PMAX = PG).`,
    "%   - |V| held at PV and reference buses (VMIN = VMAX = set-point), free at PQ buses (0 to Inf);",
    "%     reactive output fixed for units at PQ buses (QMIN = QMAX = QG), free elsewhere.",
    `%   - line limits on the mean active flow (Pf - Pt)/2 in MW, ${limitNote}: the user`,
    `%     constraints '${MEAN_FLOW_CONSTRAINT}' (${MEAN_FLOW_FUNCTION}.m and ${MEAN_FLOW_HESSIAN}.m beside this file, MATPOWER 8).`,
    "%     MATPOWER's opf.flow_lim = 'P' limits the flow entering each end, which exceeds the mean by half",
    "%     the line's losses, so RATE_A keeps the MVA ratings only:",
    "%   opf.flow_lim = 'S'",
    ...(p.differences.length > 0
      ? ["%", "%   Not exactly GridSwap's problem:", ...p.differences.map((d) => `%   - ${d}`)]
      : []),
    "%",
    "%   Re-solve (Octave or MATLAB, MATPOWER 8 on the path, this directory current or added):",
    "%     define_constants;",
    `%     mpopt = mpoption(${options}, 'verbose', 0, 'out.all', 0);`,
    `%     r = runopf('${p.name}', mpopt);`,
    "%     moves = r.gen(:, PG) - loadcase('" + p.name + "').gen(:, PG);   % MW",
    `%     mu = r.nli.mu.${MEAN_FLOW_CONSTRAINT};   % USD/MWh: [from -> to side; to -> from side] per limited line`,
    "%     lmp = r.bus(:, LAM_P);                   % USD/MWh",
    "",
  ];
  return [
    ...header,
    "%% MATPOWER Case Format : Version 2",
    "mpc.version = '2';",
    "",
    "%%-----  Power Flow Data  -----%%",
    "%% system MVA base",
    `mpc.baseMVA = ${num(p.schedule.baseMVA)};`,
    "",
    "%% bus data (the schedule: forecasts applied; Vm, Va of its load flow)",
    "%\tbus_i\ttype\tPd\tQd\tGs\tBs\tarea\tVm\tVa\tbaseKV\tzone\tVmax\tVmin",
    "mpc.bus = [",
    matrix(p.bus),
    "];",
    "",
    "%% generator data",
    "%\tbus\tPg\tQg\tQmax\tQmin\tVg\tmBase\tstatus\tPmax\tPmin",
    "mpc.gen = [",
    matrix(p.gen, genComments),
    "];",
    "",
    "%% branch data",
    "%\tfbus\ttbus\tr\tx\tb\trateA\trateB\trateC\tratio\tangle\tstatus\tangmin\tangmax",
    "mpc.branch = [",
    matrix(p.branch),
    "];",
    "",
    "%%-----  OPF Data  -----%%",
    "%% generator cost data",
    "%\t1\tstartup\tshutdown\tn\tx1\ty1\t...\txn\tyn",
    "%\t2\tstartup\tshutdown\tn\tc(n-1)\t...\tc0",
    "mpc.gencost = [",
    matrix(p.gencost),
    "];",
    "",
    "%% mean-flow limits: F T (internal bus indices: rows of mpc.bus) R X B TAP SHIFT LIMIT (MW)",
    "mpc.gridswap_mean_flow = [",
    matrix(p.lines, lineComments),
    "];",
    "mpc.user_constraints.nli = {",
    `\t{'${MEAN_FLOW_CONSTRAINT}', ${2 * p.lines.length}, '${MEAN_FLOW_FUNCTION}', '${MEAN_FLOW_HESSIAN}', {'Va', 'Vm'}, {mpc.baseMVA, mpc.gridswap_mean_flow}}`,
    "};",
    "",
  ].join("\n");
}

/**
 * MATLAB source of the mean-flow constraints: m = baseMVA·Re(Sf − St)/2 (MW) per limited line,
 * h = [m − LIMIT; −m − LIMIT] ≤ 0, from MATPOWER's own makeYbus, dSbr_dV and d2Sbr_dV2.
 */
export const MEAN_FLOW_SOURCE = `function [h, dh] = ${MEAN_FLOW_FUNCTION}(x, baseMVA, lines, lam)
%${MEAN_FLOW_FUNCTION.toUpperCase()}  GridSwap's line limits on the mean active flow, for MATPOWER's AC OPF.
%   [H, DH] = ${MEAN_FLOW_FUNCTION.toUpperCase()}(X, BASEMVA, LINES) with X = {Va, Vm} and one row of LINES per
%   limited branch, [F T R X B TAP SHIFT LIMIT] (F, T: internal bus indices; LIMIT in MW):
%   H = [m - LIMIT; -m - LIMIT] <= 0 with m = (Pf - Pt)/2 in MW, the loss-neutral mean flow, and
%   DH its Jacobian with respect to [Va; Vm].
%   D2H = ${MEAN_FLOW_FUNCTION.toUpperCase()}(X, BASEMVA, LINES, LAM): the Hessian of LAM' * H.
%   Written by GridSwap (npm run period -- --export-opf); uses MATPOWER's makeYbus, dSbr_dV, d2Sbr_dV2.
[F_BUS, T_BUS, BR_R, BR_X, BR_B, RATE_A, RATE_B, RATE_C, TAP, SHIFT, BR_STATUS] = idx_brch;
[Va, Vm] = deal(x{:});
V = Vm .* exp(1j * Va);
nb = length(V);
n = size(lines, 1);
bus = zeros(nb, 13);
bus(:, 1) = (1:nb)';
branch = zeros(n, 13);
branch(:, [F_BUS T_BUS BR_R BR_X BR_B TAP SHIFT]) = lines(:, 1:7);
branch(:, BR_STATUS) = 1;
[Ybus, Yf, Yt] = makeYbus(baseMVA, bus, branch);
if nargin < 4
  Sf = V(branch(:, F_BUS)) .* conj(Yf * V);
  St = V(branch(:, T_BUS)) .* conj(Yt * V);
  m = baseMVA * real(Sf - St) / 2;
  h = [m - lines(:, 8); -m - lines(:, 8)];
  if nargout > 1
    [dSf_dVa, dSf_dVm, dSt_dVa, dSt_dVm] = dSbr_dV(branch, Yf, Yt, V);
    dm = baseMVA * real([dSf_dVa - dSt_dVa, dSf_dVm - dSt_dVm]) / 2;
    dh = [dm; -dm];
  end
else
  mu = baseMVA * (lam(1:n) - lam(n+1:2*n)) / 2;
  Cf = sparse(1:n, branch(:, F_BUS), 1, n, nb);
  Ct = sparse(1:n, branch(:, T_BUS), 1, n, nb);
  [Gf11, Gf12, Gf21, Gf22] = d2Sbr_dV2(Cf, Yf, V, mu);
  [Gt11, Gt12, Gt21, Gt22] = d2Sbr_dV2(Ct, Yt, V, -mu);
  h = real([Gf11 + Gt11, Gf12 + Gt12; Gf21 + Gt21, Gf22 + Gt22]);
end
`;

export const MEAN_FLOW_HESSIAN_SOURCE = `function d2h = ${MEAN_FLOW_HESSIAN}(x, lam, baseMVA, lines)
%${MEAN_FLOW_HESSIAN.toUpperCase()}  Hessian of GridSwap's mean-flow limits (see ${MEAN_FLOW_FUNCTION}).
d2h = ${MEAN_FLOW_FUNCTION}(x, baseMVA, lines, lam);
`;
