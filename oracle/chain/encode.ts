/**
 * Period results → what goes on chain: the oracle's report (violations in W, prices in
 * USD/MWh·1e8, measurements in Wh) and the centre's offers (kWh → Wh, USD → 1e-8 USD), with
 * deterministic identities: a report is its period, an offer's nonce is derived from its delivery
 * period and unit, so a restart, a resend or a second process with the same key can never put
 * the same intent on chain twice.
 */
import { keccak256, toUtf8Bytes, ZeroAddress, ZeroHash } from "ethers";
import type { PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import type { IGridOracle } from "../../typechain-types";
import { BaselineMethod, Direction } from "./enums";
import type { MeasurementData, OfferData } from "./market-data";
import { kwhToWh, mwToWatts, usdPerMWhToUnits, usdToUnits } from "./units";

/**
 * JSON with object keys sorted at every level and bigints as decimal strings: the same value
 * always gives the same text. A Map or Set is refused (JSON.stringify would silently write {}).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map || value instanceof Set) {
    throw new TypeError("canonicalJson: convert Maps and Sets to arrays or objects first");
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** keccak256 of the canonical JSON of everything the period's load flow used (finding GS-05). */
export function inputHash(inputs: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(inputs)));
}

/** keccak256 of a case file's text (for `inputHash`, so the whole text need not be embedded). */
export const caseTextHash = (text: string): string => keccak256(toUtf8Bytes(text));

export interface ReportInputs {
  /** The report's period (the current period when it is sent). */
  readonly period: number;
  readonly inputHash: string;
  /** keccak256 of the meter readings the measurements used (ZeroHash when none). */
  readonly readingsHash?: string;
  /** The period study whose violations and prices the report carries. */
  readonly result: PeriodResult;
  readonly measurements?: readonly MeasurementData[];
  /** Nodes to report prices for (default: every node with a redispatch unit or an offer). */
  readonly priceNodes?: readonly number[];
}

/**
 * The oracle report: the study's active-power violations (line = 0-based branch row of the case,
 * flows in W signed from → to), the nodal prices of `priceNodes` with their loss and congestion
 * parts (USD/MWh · 1e8) and the measurements of earlier delivery periods (in the order given: the
 * leaves of the report's measurement tree).
 */
export function toReport(r: ReportInputs): IGridOracle.ReportStruct {
  const nodes = new Set(
    r.priceNodes ?? [
      ...r.result.redispatch.adjustments.map((a) => a.unit.busId),
      ...r.result.sensitivities.units.map((u) => u.node),
      ...r.result.offers.map((o) => o.node),
    ],
  );
  return {
    period: r.period,
    inputHash: r.inputHash,
    readingsHash: r.readingsHash ?? ZeroHash,
    violations: r.result.violations.lines
      .filter((v) => v.kind === "active")
      .map((v) => ({
        line: v.branchRow - 1,
        flowW: mwToWatts(v.value),
        limitW: mwToWatts(v.limit),
        deviationW: mwToWatts(v.deviation),
      })),
    prices: r.result.prices
      .filter((p) => nodes.has(p.bus))
      .map((p) => ({
        node: p.bus,
        usdPerMWh: usdPerMWhToUnits(p.total),
        lossUsdPerMWh: usdPerMWhToUnits(p.loss),
        congestionUsdPerMWh: usdPerMWhToUnits(p.congestion),
      })),
    measurements: (r.measurements ?? []).map((m) => ({ ...m })),
  };
}

/**
 * The nonce of offer `part` (0 unless a unit's adjustment is split into several offers) for unit
 * `genRow` (1-based) in delivery period `period`: period · 2²⁴ + part · 2¹⁶ + genRow. Unique per
 * (period, part, unit), so a restart or a second process re-signs the very same offer.
 */
export function offerNonce(period: number, genRow: number, part = 0): bigint {
  if (!Number.isInteger(genRow) || genRow < 1 || genRow >= 1 << 16) {
    throw new RangeError(`gen row ${genRow} does not fit an offer nonce (1..65535)`);
  }
  if (!Number.isInteger(part) || part < 0 || part > 255)
    throw new RangeError(`offer part ${part} is not within 0..255`);
  if (!Number.isInteger(period) || period < 0) throw new RangeError(`period must be a non-negative integer`);
  return (BigInt(period) << 24n) | (BigInt(part) << 16n) | BigInt(genRow);
}

export interface OfferTerms {
  readonly centre: string;
  /** Delivery period and the report period that justifies the offer. */
  readonly period: number;
  readonly justification: number;
  /** Last second a fill is accepted, Unix s. */
  readonly deadline: number;
  readonly epoch: number;
  readonly baseline?: number;
  readonly baselineDays?: number;
  /** Only this wallet may fill (default: any registered generator at the node). */
  readonly generator?: string;
  /** Largest single fill, Wh (default: the whole amount). */
  readonly maxFillWh?: bigint;
  /**
   * Smallest fill accepted, Wh (default: 5 % of the amount, at least 1 Wh): a fill of less is
   * refused, so nobody takes a sliver of an offer to make others' fills fall short.
   */
  readonly minFillWh?: bigint;
  /** Which part of a split adjustment this offer is (default 0). */
  readonly part?: number;
}

/** An offer to sign, or why it cannot be one (finding GS-07: rounds to 0 Wh or 0 USD units). */
export function toOfferData(offer: Offer, t: OfferTerms): { offer: OfferData } | { dropped: string } {
  const amountWh = kwhToWh(offer.kwh);
  const usd = offer.usd > 0 ? usdToUnits(offer.usd) : 0n;
  if (amountWh <= 0n) return { dropped: `${offer.kwh} kWh rounds to 0 Wh` };
  if (usd <= 0n) return { dropped: `${offer.usd} USD rounds to 0 units of 1e-8 USD` };
  return {
    offer: {
      centre: t.centre,
      generator: t.generator ?? ZeroAddress,
      node: offer.node,
      direction: offer.direction === "increase" ? Direction.Increase : Direction.Decrease,
      amountWh,
      usd,
      period: t.period,
      justification: t.justification,
      deadline: t.deadline,
      minFillWh: minFill(t, amountWh),
      maxFillWh: t.maxFillWh ?? amountWh,
      baseline: t.baseline ?? BaselineMethod.Nominated,
      baselineDays: t.baselineDays ?? 0,
      epoch: t.epoch,
      nonce: offerNonce(t.period, offer.genRow, t.part ?? 0),
    },
  };
}

/** The offer's minimum fill: as given, else 5 % of the amount (at least 1 Wh), never above the maximum. */
function minFill(t: OfferTerms, amountWh: bigint): bigint {
  const max = t.maxFillWh ?? amountWh;
  const wanted = t.minFillWh ?? (amountWh / 20n > 1n ? amountWh / 20n : 1n);
  if (wanted < 1n) throw new RangeError(`minimum fill must be at least 1 Wh, got ${wanted}`);
  return wanted > max ? max : wanted;
}
