/**
 * Plain TypeScript shapes of what the market and oracle sign, store and emit — offers,
 * positions, settlements, measurements — with the conversions to and from the contracts' structs
 * and to and from JSON (bigints as decimal strings), so agents can keep them in state files.
 * Units as on chain: Wh, 1e-8 USD, periods, Unix seconds; enums as their ordinals (enums.ts).
 */
import type { IDemandResponseMarket, IGridOracle } from "../../typechain-types";

export interface OfferData {
  readonly centre: string;
  /** Zero address: any registered generator at the node may fill. */
  readonly generator: string;
  readonly node: number;
  readonly direction: number;
  readonly amountWh: bigint;
  readonly usd: bigint;
  readonly period: number;
  readonly justification: number;
  readonly deadline: number;
  readonly maxFillWh: bigint;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly epoch: number;
  readonly nonce: bigint;
}

export interface PositionData {
  readonly offerHash: string;
  readonly centre: string;
  readonly generator: string;
  readonly period: number;
  readonly direction: number;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly amountWh: bigint;
  readonly committedBeforeWh: bigint;
  readonly usd: bigint;
}

export interface SettlementData {
  readonly deliveredWh: bigint;
  readonly paidWh: bigint;
  readonly penaltyWh: bigint;
  readonly usdToGenerator: bigint;
  readonly usdToCentre: bigint;
  readonly quality: number;
}

export interface MeasurementData {
  readonly generator: string;
  readonly period: number;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly baselineWh: bigint;
  readonly actualWh: bigint;
  readonly deliveredWh: bigint;
  readonly quality: number;
}

export function offerFromStruct(o: IDemandResponseMarket.OfferStructOutput): OfferData {
  return {
    centre: o.centre,
    generator: o.generator,
    node: Number(o.node),
    direction: Number(o.direction),
    amountWh: o.amountWh,
    usd: o.usd,
    period: Number(o.period),
    justification: Number(o.justification),
    deadline: Number(o.deadline),
    maxFillWh: o.maxFillWh,
    baseline: Number(o.baseline),
    baselineDays: Number(o.baselineDays),
    epoch: Number(o.epoch),
    nonce: o.nonce,
  };
}

export function positionFromStruct(p: IDemandResponseMarket.PositionStructOutput): PositionData {
  return {
    offerHash: p.offerHash,
    centre: p.centre,
    generator: p.generator,
    period: Number(p.period),
    direction: Number(p.direction),
    baseline: Number(p.baseline),
    baselineDays: Number(p.baselineDays),
    amountWh: p.amountWh,
    committedBeforeWh: p.committedBeforeWh,
    usd: p.usd,
  };
}

export function settlementFromStruct(s: IDemandResponseMarket.SettlementStructOutput): SettlementData {
  return {
    deliveredWh: s.deliveredWh,
    paidWh: s.paidWh,
    penaltyWh: s.penaltyWh,
    usdToGenerator: s.usdToGenerator,
    usdToCentre: s.usdToCentre,
    quality: Number(s.quality),
  };
}

/** The struct the contracts take (field order as in the Solidity struct). */
export const offerStruct = (o: OfferData): IDemandResponseMarket.OfferStruct => ({ ...o });
export const positionStruct = (p: PositionData): IDemandResponseMarket.PositionStruct => ({ ...p });
export const measurementStruct = (m: MeasurementData): IGridOracle.MeasurementStruct => ({ ...m });

// ---------------------------------------------------------------------------------------------
// JSON (state files, served offers): bigints as decimal strings, everything else as is.

type Jsonified<T> = { [K in keyof T]: T[K] extends bigint ? string : T[K] };

export function toJsonObject<T extends object>(value: T): Jsonified<T> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
  ) as Jsonified<T>;
}

const BIGINT_FIELDS = new Set([
  "amountWh",
  "usd",
  "maxFillWh",
  "nonce",
  "committedBeforeWh",
  "deliveredWh",
  "paidWh",
  "penaltyWh",
  "usdToGenerator",
  "usdToCentre",
  "baselineWh",
  "actualWh",
]);

/** Reads back what `toJsonObject` wrote (the field names above are bigints). */
export function fromJsonObject<T>(value: Record<string, unknown>): T {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, BIGINT_FIELDS.has(k) && typeof v === "string" ? BigInt(v) : v]),
  ) as T;
}
