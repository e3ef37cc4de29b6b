/**
 * Public API of the grid and market core (oracle/grid, oracle/market). Pure TypeScript: nothing
 * here or below imports Hardhat, ethers, typechain, oracle/chain or oracle/agents (ESLint
 * enforces it). The chain layer is oracle/chain; the agents and the period driver oracle/agents.
 */
export * from "./grid/errors";
export { loadCase, parseJsonCase, parseMatpowerCase, validateCase } from "./grid/case/load";
export type { PowerCase } from "./grid/case/types";
export { BUS, GEN, BRANCH, BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF, BUS_TYPE_NONE } from "./grid/case/columns";
export { toInternal, type InternalCase } from "./grid/model/internal";
export { NetworkModel, topologyKey, clearModelCache } from "./grid/model/network";
export { masterUnits, type BusTypes } from "./grid/model/bustypes";
export { buildYbus, branchAdmittances, busInjections, type ComplexCsr } from "./grid/network/admittance";
export { runPowerFlow, solvePowerFlow, DEFAULT_TOLERANCE, type PowerFlowOptions } from "./grid/pf/runpf";
export { injectionsOf, type Injections, type OperatingPoint } from "./grid/pf/point";
export type { PowerFlowAlgorithm, PowerFlowResult, BusResult, GenResult, BranchResult } from "./grid/pf/results";
export {
  acFlowSensitivities,
  dcFlowSensitivities,
  flowSensitivities,
  type FlowSensitivities,
} from "./grid/sensitivity";
export {
  checkLimits,
  checkGridLimits,
  gridLimits,
  meanActiveFlow,
  type GridLimits,
  type LimitReport,
  type LineViolation,
} from "./grid/limits/checks";
export type { OperationData, PricingRule, RedispatchUnit } from "./grid/case/operation";
export { DEFAULT_LIMIT_VIOLATION_PRICE, PRICING_RULES } from "./grid/case/operation";
export { marketModel, type MarketModel, type MarketUnit, type PriceStep } from "./market/model";
export {
  applyBids,
  BidDataError,
  checkBid,
  selectBids,
  type Bid,
  type BidSelection,
  type BidStep,
  type BidsApplied,
  type BidUnit,
  type SelectedBidStep,
} from "./market/bids";
export { redispatch, type Redispatch, type RedispatchOptions } from "./market/redispatch";
export { nodalPrices, periodCosts, priceOffers, type NodalPrices, type Offer, type PeriodCosts } from "./market/prices";
export {
  exportPeriodOpf,
  exportRedispatchOpf,
  problemOperation,
  type OpfAnswer,
  type OpfExport,
  type PeriodProblem,
} from "./market/opf-export";
export { compareOpf, type OpfComparison, type OpfReference } from "./market/opf-compare";
export { LpSolveError } from "./market/lp";
export { defaultOperation } from "./market/defaults";
export {
  runPeriod,
  applyForecasts,
  adjustedCase,
  nodalPriceList,
  type Forecasts,
  type NodalPrice,
  type PeriodResult,
  type SensitivityTable,
} from "./market/period";
