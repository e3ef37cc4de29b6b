/**
 * Plain TypeScript shapes of what the market and oracle sign, store and emit — offers,
 * fills, books, settlements, measurements — with the conversions to and from the contracts' structs
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
  readonly minFillWh: bigint;
  readonly maxFillWh: bigint;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly epoch: number;
  readonly nonce: bigint;
}

/** One fill as the Filled event carries it (history; the market settles the generator's book). */
export interface FillData {
  readonly offerHash: string;
  readonly generator: string;
  readonly period: number;
  readonly centre: string;
  readonly direction: number;
  /** Wh this fill took (= kWh commitment escrowed). */
  readonly amountWh: bigint;
  /** USD escrowed by this fill, 1e-8 USD. */
  readonly usd: bigint;
  /** The offer's filled Wh after this fill (all generators). */
  readonly offerFilledWh: bigint;
  /** The generator's book total after this fill, Wh. */
  readonly bookCommittedWh: bigint;
  /** The book's nomination (planned output in the period), Wh. */
  readonly nominatedWh: bigint;
}

/** A generator's commitment in one delivery period (market.bookOf). */
export interface BookData {
  readonly generator: string;
  readonly period: number;
  /** BookState ordinal: None, Open, Settled, Unwound. */
  readonly state: number;
  readonly direction: number;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly committedWh: bigint;
  readonly usd: bigint;
  /** The generator's registry index at its first fill (the one its measurement must carry). */
  readonly generatorIndex: number;
  readonly centre: string;
  readonly nominatedWh: bigint;
}

/** A book's key: who and which delivery period. */
export interface BookKey {
  readonly generator: string;
  readonly period: number;
}

export interface SettlementData {
  readonly committedWh: bigint;
  /** Delivery credited, Wh, signed (+ = output raised). */
  readonly creditedWh: bigint;
  readonly deliveredWh: bigint;
  readonly paidWh: bigint;
  readonly penaltyWh: bigint;
  readonly usdToGenerator: bigint;
  readonly usdToCentre: bigint;
  readonly quality: number;
}

export interface MeasurementData {
  readonly generator: string;
  readonly generatorIndex: number;
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
    minFillWh: o.minFillWh,
    maxFillWh: o.maxFillWh,
    baseline: Number(o.baseline),
    baselineDays: Number(o.baselineDays),
    epoch: Number(o.epoch),
    nonce: o.nonce,
  };
}

export function fillFromEvent(
  offerHash: string,
  generator: string,
  period: bigint | number,
  f: IDemandResponseMarket.FillStructOutput,
): FillData {
  return {
    offerHash,
    generator,
    period: Number(period),
    centre: f.centre,
    direction: Number(f.direction),
    amountWh: f.amountWh,
    usd: f.usd,
    offerFilledWh: f.offerFilledWh,
    bookCommittedWh: f.bookCommittedWh,
    nominatedWh: f.nominatedWh,
  };
}

export function bookFromStruct(generator: string, b: IDemandResponseMarket.BookStructOutput): BookData {
  return {
    generator,
    period: Number(b.period),
    state: Number(b.state),
    direction: Number(b.direction),
    baseline: Number(b.baseline),
    baselineDays: Number(b.baselineDays),
    committedWh: b.committedWh,
    usd: b.usd,
    generatorIndex: Number(b.generatorIndex),
    centre: b.centre,
    nominatedWh: b.nominatedWh,
  };
}

export function settlementFromStruct(s: IDemandResponseMarket.SettlementStructOutput): SettlementData {
  return {
    committedWh: s.committedWh,
    creditedWh: s.creditedWh,
    deliveredWh: s.deliveredWh,
    paidWh: s.paidWh,
    penaltyWh: s.penaltyWh,
    usdToGenerator: s.usdToGenerator,
    usdToCentre: s.usdToCentre,
    quality: Number(s.quality),
  };
}

/** A book's key in text form (maps, state files). */
export const bookKeyId = (k: BookKey): string => `${k.generator.toLowerCase()}:${k.period}`;

/** The struct the contracts take (field order as in the Solidity struct). */
export const offerStruct = (o: OfferData): IDemandResponseMarket.OfferStruct => ({ ...o });
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
  "minFillWh",
  "maxFillWh",
  "nonce",
  "offerFilledWh",
  "bookCommittedWh",
  "committedWh",
  "nominatedWh",
  "creditedWh",
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
