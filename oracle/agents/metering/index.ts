/**
 * Meter readings in, baselines and delivered energy out (docs/metering.md). The baseline
 * arithmetic (baseline.ts, distinct.ts), the types and the unit conversion are pure TypeScript;
 * the sources, the screening and the signatures use ethers for addresses, EIP-712 and keccak256.
 */
export * from "./types";
export * from "./errors";
export { meanPowerMwToWh, capacityWhPerPeriod, periodsPerDay, divRound, SECONDS_PER_DAY } from "./units";
export { FileMeterSource, parseReadingsText, type FileMeterSourceOptions } from "./file-source";
export { HttpMeterSource, type HttpMeterSourceOptions } from "./http-source";
export { RECORD_FIELDS } from "./records";
export {
  METER_READING_TYPE,
  METER_READING_TYPES,
  readingMessage,
  readingDigest,
  signReading,
  verifyReadingSignature,
  readEip712Domain,
  canonicalReadingsJson,
  readingsHash,
  type MeterReadingMessage,
  type TypedDataSigner,
} from "./signed";
export {
  PLAUSIBILITY_MARGIN_PERCENT,
  checksummedMeterMap,
  screenReadings,
  type IgnoredRecord,
  type ScreenContext,
  type ScreenedReadings,
} from "./screen";
export {
  DEFAULT_ROLLING_DAYS,
  MAX_ROLLING_DAYS,
  baselinePeriods,
  readingPeriods,
  measureDelivery,
  measureDeliveries,
  workingDaysBefore,
  isWeekday,
  utcDayNumber,
  type BaselineSpec,
  type DeliveryToMeasure,
  type ReadingSeries,
} from "./baseline";
