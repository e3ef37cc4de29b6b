/**
 * Public API of the grid core. Pure TypeScript: nothing here (or below) imports Hardhat or ethers.
 */
export * from "./grid/errors";
export { loadCase, parseJsonCase, parseMatpowerCase, validateCase } from "./grid/case/load";
export type { PowerCase } from "./grid/case/types";
export { BUS, GEN, BRANCH, BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF, BUS_TYPE_NONE } from "./grid/case/columns";
export { toInternal, type InternalCase } from "./grid/model/internal";
export { buildYbus, branchAdmittances, busInjections, type ComplexCsr } from "./grid/network/admittance";
export { runPowerFlow, DEFAULT_TOLERANCE, type PowerFlowOptions } from "./grid/pf/runpf";
export type { PowerFlowAlgorithm, PowerFlowResult, BusResult, GenResult, BranchResult } from "./grid/pf/results";
export { acFlowSensitivities, dcFlowSensitivities, type FlowSensitivities } from "./grid/sensitivity";
export { checkLimits, meanActiveFlow, type LimitReport, type LineViolation } from "./grid/limits/checks";
export type { OperationData, RedispatchUnit } from "./grid/case/operation";
export { redispatch, type Redispatch, type RedispatchOptions } from "./market/redispatch";
export { nodalPrices, priceOffers, type NodalPrice, type Offer } from "./market/prices";
export { defaultOperation } from "./market/defaults";
export { runPeriod, applyForecasts, type Forecasts, type PeriodResult } from "./market/period";
