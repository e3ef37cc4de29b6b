/**
 * The market's view of a network: the operation data of a case (line limits, redispatch units and
 * their bids, the master unit's energy price, the period length) translated once into internal
 * indices of the network model. Everything after this speaks internal indices; gen rows and bus
 * numbers are kept beside them only to describe results to people.
 */
import { GEN } from "../grid/case/columns";
import {
  DEFAULT_LIMIT_VIOLATION_PRICE,
  PRICING_RULES,
  type OperationData,
  type PricingRule,
  type UnitKind,
} from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { CaseDataError } from "../grid/errors";
import { gridLimits, type GridLimits } from "../grid/limits/checks";
import { masterUnits } from "../grid/model/bustypes";
import type { NetworkModel } from "../grid/model/network";

export interface MarketUnit {
  /** Internal unit and bus. */
  readonly unit: number;
  readonly bus: number;
  /** For people: 1-based gen row of the case and the bus number. */
  readonly genRow: number;
  readonly busId: number;
  readonly kind: UnitKind;
  /** Asking prices to raise and to lower output, USD/MWh. */
  readonly upPrice: number;
  readonly downPrice: number;
  /** Largest change from the schedule within one period, MW. */
  readonly rampMW: number;
  /** Output limits, MW. */
  readonly pmin: number;
  readonly pmax: number;
  /**
   * Bid curves (oracle/market/bids.ts): when present, the unit's costs and capacities are these
   * steps — in order of rising price, each offering `mw` at `price` USD/MWh — instead of
   * upPrice, downPrice and rampMW (Pmin, Pmax and a renewable's forecast still bound it).
   */
  readonly curves?: { readonly up: readonly PriceStep[]; readonly down: readonly PriceStep[] };
}

/** One step of a unit's cost curve: `mw` of adjustment at `price` USD/MWh. */
export interface PriceStep {
  readonly mw: number;
  readonly price: number;
}

export interface MarketModel {
  readonly network: NetworkModel;
  readonly units: readonly MarketUnit[];
  /** Internal master (slack) units and their combined limits, MW. */
  readonly master: Int32Array;
  readonly masterPmin: number;
  readonly masterPmax: number;
  /** Marginal price of the master unit's energy, USD/MWh. */
  readonly masterEnergyPrice: number;
  /** Length of one market period, minutes. */
  readonly periodMinutes: number;
  /** Penalty price of a limit left exceeded, USD/MWh per MW (above every bid). */
  readonly limitViolationPrice: number;
  /** How offers are priced: at nodal prices or at each unit's bid. */
  readonly pricingRule: PricingRule;
  readonly limits: GridLimits;
}

/** Translates `operation` (gen rows, branch rows of `c`) to the internal indices of `network`. */
export function marketModel(network: NetworkModel, c: PowerCase, operation: OperationData): MarketModel {
  const { index } = network;
  const master = masterUnits(index);
  const isMaster = new Uint8Array(index.gens.count);
  for (const k of master) isMaster[k] = 1;
  const units = operation.units.map((u): MarketUnit => {
    const unit = network.genOfRow[u.gen - 1];
    if (unit === undefined || unit < 0) {
      throw new CaseDataError(`operation.units: gen ${u.gen} is not an in-service unit of an energised island`);
    }
    if (isMaster[unit]) {
      throw new CaseDataError(
        `operation.units: gen ${u.gen} is the master (slack) unit; it balances the grid and is not redispatched`,
      );
    }
    const row = c.gen[u.gen - 1];
    const bus = index.gens.bus[unit];
    return {
      unit,
      bus,
      genRow: u.gen,
      busId: index.buses.id[bus],
      kind: u.kind,
      upPrice: u.upPrice,
      downPrice: u.downPrice,
      rampMW: u.rampMW,
      pmin: row[GEN.PMIN],
      pmax: row[GEN.PMAX],
    };
  });
  const limitViolationPrice = operation.limitViolationPrice ?? DEFAULT_LIMIT_VIOLATION_PRICE;
  for (const u of units) {
    const bid = Math.max(u.upPrice, u.downPrice);
    if (!(limitViolationPrice > bid)) {
      throw new CaseDataError(
        `operation.limitViolationPrice${operation.limitViolationPrice === undefined ? " (default)" : ""} ` +
          `${limitViolationPrice} USD/MWh must be above every bid; gen ${u.genRow} asks ${bid}`,
      );
    }
  }
  const pricingRule = operation.pricingRule ?? "nodal";
  if (!PRICING_RULES.includes(pricingRule)) {
    throw new CaseDataError(
      `operation.pricingRule must be ${PRICING_RULES.map((r) => `"${r}"`).join(" or ")}, got ${JSON.stringify(pricingRule)}`,
    );
  }
  const limits = gridLimits(network, c, operation);
  return {
    network,
    units,
    master,
    masterPmin: limits.masterPmin,
    masterPmax: limits.masterPmax,
    masterEnergyPrice: operation.masterEnergyPrice,
    periodMinutes: operation.periodMinutes,
    limitViolationPrice,
    pricingRule,
    limits,
  };
}
