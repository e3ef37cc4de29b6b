/**
 * A generator's side of the market: decode offers from the bulletin board (OfferPublished
 * events) and decide, by a stated policy, whether to accept.
 */
import type { DemandResponseMarket } from "../../typechain-types";
import { unitsToUsd, whToKwh } from "./units";

export interface DecodedOffer {
  readonly id: bigint;
  readonly centre: string;
  /** Zero address when any registered generator at the node may accept. */
  readonly reservedFor: string;
  readonly node: number;
  readonly direction: "increase" | "decrease";
  readonly kwh: number;
  readonly usd: number;
  readonly period: number;
  readonly justification: number;
  /** Unix seconds. */
  readonly expiry: number;
}

export interface GeneratorPolicy {
  readonly address: string;
  readonly node: number;
  /** What one kWh of adjustment costs this unit (fuel saved or spent, wear), USD/kWh. */
  readonly costUsdPerKwh: number;
  /** Required margin above cost, USD/kWh. */
  readonly marginUsdPerKwh: number;
  /** Largest adjustment it will commit in one period, kWh. */
  readonly capacityKwh: number;
}

export interface Decision {
  readonly accept: boolean;
  readonly reason: string;
}

const ZERO = "0x0000000000000000000000000000000000000000";

/** Every offer published so far, decoded from the market's events. */
export async function readOffers(market: DemandResponseMarket, fromBlock = 0): Promise<DecodedOffer[]> {
  const logs = await market.queryFilter(market.filters.OfferPublished(), fromBlock);
  return logs.map((log) => {
    const a = log.args;
    return {
      id: a.id,
      centre: a.centre,
      reservedFor: a.generator,
      node: Number(a.node),
      direction: a.direction === 0n ? "increase" : "decrease",
      kwh: whToKwh(a.kwhAmount),
      usd: unitsToUsd(a.usdAmount),
      period: Number(a.period),
      justification: Number(a.justification),
      expiry: Number(a.expiry),
    };
  });
}

/** The policy: accept an offer for my node, not expired, within capacity, paying cost + margin. */
export function decide(policy: GeneratorPolicy, offer: DecodedOffer, nowSeconds: number): Decision {
  const perKwh = offer.usd / offer.kwh;
  const needed = policy.costUsdPerKwh + policy.marginUsdPerKwh;
  if (nowSeconds > offer.expiry) return { accept: false, reason: `expired at ${offer.expiry}` };
  if (offer.reservedFor !== ZERO && offer.reservedFor.toLowerCase() !== policy.address.toLowerCase()) {
    return { accept: false, reason: `reserved for ${offer.reservedFor}` };
  }
  if (offer.node !== policy.node)
    return { accept: false, reason: `for node ${offer.node}, I am at node ${policy.node}` };
  if (offer.kwh > policy.capacityKwh) {
    return { accept: false, reason: `${offer.kwh} kWh exceeds my capacity of ${policy.capacityKwh} kWh per period` };
  }
  if (perKwh < needed) {
    return {
      accept: false,
      reason: `pays ${perKwh.toFixed(6)} USD/kWh, below my cost ${policy.costUsdPerKwh} + margin ${policy.marginUsdPerKwh}`,
    };
  }
  return {
    accept: true,
    reason: `pays ${perKwh.toFixed(6)} USD/kWh ≥ cost ${policy.costUsdPerKwh} + margin ${policy.marginUsdPerKwh}`,
  };
}
