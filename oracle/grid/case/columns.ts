/**
 * Zero-based column indices of the MATPOWER case format, version 2 (see MATPOWER's
 * idx_bus, idx_gen, idx_brch, idx_cost). Named so no code indexes a matrix by a bare number.
 */
export const BUS_TYPE_PQ = 1;
export const BUS_TYPE_PV = 2;
export const BUS_TYPE_REF = 3;
export const BUS_TYPE_NONE = 4;

export const BUS = {
  BUS_I: 0,
  BUS_TYPE: 1,
  PD: 2, // MW
  QD: 3, // MVAr
  GS: 4, // MW demanded at V = 1 p.u.
  BS: 5, // MVAr injected at V = 1 p.u.
  BUS_AREA: 6,
  VM: 7, // p.u.
  VA: 8, // degrees
  BASE_KV: 9,
  ZONE: 10,
  VMAX: 11,
  VMIN: 12,
} as const;
export const BUS_MIN_COLUMNS = 13;

export const GEN = {
  GEN_BUS: 0,
  PG: 1, // MW
  QG: 2, // MVAr
  QMAX: 3,
  QMIN: 4,
  VG: 5, // p.u.
  MBASE: 6,
  GEN_STATUS: 7,
  PMAX: 8,
  PMIN: 9,
  RAMP_AGC: 16, // MW/min
  RAMP_10: 17, // MW
  RAMP_30: 18, // MW
} as const;
export const GEN_MIN_COLUMNS = 10;

export const BRANCH = {
  F_BUS: 0,
  T_BUS: 1,
  BR_R: 2, // p.u.
  BR_X: 3, // p.u.
  BR_B: 4, // p.u. total line charging
  RATE_A: 5, // MVA, 0 = unlimited
  RATE_B: 6,
  RATE_C: 7,
  TAP: 8, // off-nominal ratio, 0 = nominal (1)
  SHIFT: 9, // degrees
  BR_STATUS: 10,
  ANGMIN: 11,
  ANGMAX: 12,
} as const;
export const BRANCH_MIN_COLUMNS = 11;

/**
 * The values MATPOWER's idx_* functions return, in their output order, for case files that
 * destructure them (`[PQ, PV, ...] = idx_bus;`). One-based, as MATLAB indexes.
 */
export const MATPOWER_INDEX_FUNCTIONS: Readonly<Record<string, readonly number[]>> = {
  // PQ PV REF NONE BUS_I BUS_TYPE PD QD GS BS BUS_AREA VM VA BASE_KV ZONE VMAX VMIN LAM_P LAM_Q MU_VMAX MU_VMIN
  idx_bus: [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
  // GEN_BUS PG QG QMAX QMIN VG MBASE GEN_STATUS PMAX PMIN MU_PMAX MU_PMIN MU_QMAX MU_QMIN
  // PC1 PC2 QC1MIN QC1MAX QC2MIN QC2MAX RAMP_AGC RAMP_10 RAMP_30 RAMP_Q APF
  idx_gen: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 22, 23, 24, 25, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
  // F_BUS T_BUS BR_R BR_X BR_B RATE_A RATE_B RATE_C TAP SHIFT BR_STATUS PF QF PT QT MU_SF MU_ST
  // ANGMIN ANGMAX MU_ANGMIN MU_ANGMAX
  idx_brch: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 12, 13, 20, 21],
  // PW_LINEAR POLYNOMIAL MODEL STARTUP SHUTDOWN NCOST COST
  idx_cost: [1, 2, 1, 2, 3, 4, 5],
};
