/**
 * Period results → contract calls: the oracle report (violations in W, prices in USD/MWh·1e8,
 * measured deliveries in Wh) and the offers (kWh → Wh, USD → 1e-8 USD).
 */
import { keccak256, toUtf8Bytes } from "ethers";
import type { PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import type { IDemandResponseMarket, IGridOracle } from "../../typechain-types";
import { kwhToWh, mwToWatts, usdPerMWhToUnits, usdToUnits } from "./units";

export interface MeasuredDelivery {
  readonly period: number;
  readonly generator: string;
  /** Measured change of output against the schedule over the period, kWh (signed). */
  readonly adjustmentKwh: number;
}

/** keccak256 of the exact case and forecasts the oracle solved, so anyone can re-run it. */
export function inputHash(caseText: string, forecasts: unknown): string {
  return keccak256(toUtf8Bytes(JSON.stringify({ case: caseText, forecasts })));
}

/**
 * The report for `period`: the active-power violations of the period's load flow, the nodal
 * prices of the nodes listed in `priceNodes` (all nodes when omitted — gas grows with each),
 * and measured deliveries of earlier periods.
 */
export function toReport(
  period: number,
  hash: string,
  result: PeriodResult,
  deliveries: readonly MeasuredDelivery[] = [],
  priceNodes?: readonly number[],
): IGridOracle.ReportStruct {
  const wanted = priceNodes ? new Set(priceNodes) : undefined;
  return {
    period,
    inputHash: hash,
    violations: result.violations.lines
      .filter((v) => v.kind === "active")
      .map((v) => ({
        line: v.branchRow - 1,
        flowW: mwToWatts(v.value),
        limitW: mwToWatts(v.limit),
        deviationW: mwToWatts(v.deviation),
      })),
    prices: result.prices
      .filter((p) => wanted === undefined || wanted.has(p.bus))
      .map((p) => ({ node: p.bus, usdPerMWh: usdPerMWhToUnits(p.total) })),
    deliveries: deliveries.map((d) => ({
      period: d.period,
      generator: d.generator,
      adjustmentWh: kwhToWh(d.adjustmentKwh),
    })),
  };
}

/** Offer parameters for the market; `justification` is the period whose report justified it. */
export function toOfferParams(
  offer: Offer,
  period: number,
  justification: number,
  expiry: number,
  generator = "0x0000000000000000000000000000000000000000",
): IDemandResponseMarket.OfferParamsStruct {
  return {
    generator,
    node: offer.node,
    direction: offer.direction === "increase" ? 0 : 1,
    kwhAmount: kwhToWh(offer.kwh),
    usdAmount: usdToUnits(offer.usd),
    period,
    justification,
    expiry,
  };
}
