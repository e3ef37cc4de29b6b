/**
 * The contracts' enums, defined once on the TypeScript side. Values are the Solidity ordinals;
 * test/contracts/enums.test.ts reads the compiled AST (artifacts/build-info) and proves every
 * table here equals its Solidity enum, member by member and in order.
 */

/** IDemandResponseMarket.Direction: raise or lower output against the baseline. */
export const Direction = { Increase: 0, Decrease: 1 } as const;
/** IDemandResponseMarket.OfferStatus (market.offerStatus). */
export const OfferStatus = { Open: 0, Filled: 1, NonceUsed: 2, EpochCancelled: 3, Closed: 4 } as const;
/** IDemandResponseMarket.BookState: a generator's commitment in one period (market.bookOf). */
export const BookState = { None: 0, Open: 1, Settled: 2, Unwound: 3 } as const;
/** IGridOracle.Quality: OpenADR 3 DATA_QUALITY of a measurement. */
export const Quality = { Ok: 0, Missing: 1, Estimated: 2, Bad: 3 } as const;
/** IGridOracle.BaselineMethod. */
export const BaselineMethod = { Nominated: 0, RollingAverage: 1, MeterBefore: 2 } as const;
/** IGridOracle.MeasurementState. */
export const MeasurementState = { None: 0, Reported: 1, Disputed: 2, Corrected: 3 } as const;
/** IGridSwapVault.Asset. */
export const Asset = { Usd: 0, Kwh: 1 } as const;
/** IBidBook.BidState: a commitment sealed, revealed, or none. */
export const BidState = { None: 0, Committed: 1, Revealed: 2 } as const;
/** IBidBook.PricingRule: how selected bid steps are paid (the operation data's "nodal" / "pay-as-bid"). */
export const PricingRule = { Nodal: 0, PayAsBid: 1 } as const;

export type DirectionName = keyof typeof Direction;
export type OfferStatusName = keyof typeof OfferStatus;
export type BookStateName = keyof typeof BookState;
export type QualityName = keyof typeof Quality;
export type BaselineMethodName = keyof typeof BaselineMethod;
export type MeasurementStateName = keyof typeof MeasurementState;
export type AssetName = keyof typeof Asset;
export type BidStateName = keyof typeof BidState;
export type PricingRuleName = keyof typeof PricingRule;

/** Every table above under its Solidity canonical name (Contract.Enum). */
export const SOLIDITY_ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "IDemandResponseMarket.Direction": Direction,
  "IDemandResponseMarket.OfferStatus": OfferStatus,
  "IDemandResponseMarket.BookState": BookState,
  "IGridOracle.Quality": Quality,
  "IGridOracle.BaselineMethod": BaselineMethod,
  "IGridOracle.MeasurementState": MeasurementState,
  "IGridSwapVault.Asset": Asset,
  "IBidBook.BidState": BidState,
  "IBidBook.PricingRule": PricingRule,
};

/** The member name of `value` in `table`; throws a RangeError naming the enum for an unknown value. */
export function enumName<T extends Readonly<Record<string, number>>>(
  table: T,
  value: number | bigint,
  what = "enum",
): keyof T & string {
  const n = Number(value);
  const found = Object.entries(table).find(([, v]) => v === n);
  if (!found) throw new RangeError(`${what}: no member has value ${value}`);
  return found[0] as keyof T & string;
}
