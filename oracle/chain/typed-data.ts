/**
 * EIP-712 types and signing helpers for everything GridSwap signs: offers (centres), reports,
 * corrections and signer updates (oracle signers), meter readings (meter keys), sealed bids
 * (generators); and the plain hashes the contracts store (report, measurement, bid commitment,
 * selection).
 *
 * The domain is never restated here: `readDomain` asks the contract (ERC-5267 `eip712Domain()`),
 * so name, version, chain id and address are exactly what the contract verifies against. The
 * ABI tuples used for keccak256(abi.encode(...)) come from the compiled interfaces, not from
 * hand-written strings. Field order and types mirror the type strings in the contracts
 * (DemandResponseMarket.OFFER_TYPEHASH, GridOracle.*_TYPEHASH, BidBook.*_TYPEHASH); test/contracts/typed-data.test.ts
 * checks every digest here against the contract's own.
 */
import { AbiCoder, keccak256, TypedDataEncoder, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { IBidBook__factory, IGridOracle__factory } from "../../typechain-types";
import type { IBidBook, IDemandResponseMarket, IGridOracle } from "../../typechain-types";
import { ConfigurationError } from "./errors";

export type OfferStruct = IDemandResponseMarket.OfferStruct;
export type ReportStruct = IGridOracle.ReportStruct;
export type MeasurementStruct = IGridOracle.MeasurementStruct;
export type MeterReadingStruct = IGridOracle.MeterReadingStruct;
export type BidTermsStruct = IBidBook.BidTermsStruct;
export type SelectedStepStruct = IBidBook.SelectedStepStruct;

/** What a generator signs to commit to a bid: the bid's range and the bid itself (nested). */
export interface SealedBidValue {
  readonly generator: string;
  readonly firstPeriod: bigint | number;
  readonly lastPeriod: bigint | number;
  readonly bid: BidTermsStruct;
}

type Types = Record<string, TypedDataField[]>;

export const OFFER_TYPES: Types = {
  Offer: [
    { name: "centre", type: "address" },
    { name: "generator", type: "address" },
    { name: "node", type: "uint32" },
    { name: "direction", type: "uint8" },
    { name: "amountWh", type: "uint64" },
    { name: "usd", type: "uint128" },
    { name: "period", type: "uint32" },
    { name: "justification", type: "uint32" },
    { name: "deadline", type: "uint64" },
    { name: "minFillWh", type: "uint64" },
    { name: "maxFillWh", type: "uint64" },
    { name: "baseline", type: "uint8" },
    { name: "baselineDays", type: "uint8" },
    { name: "epoch", type: "uint32" },
    { name: "nonce", type: "uint256" },
  ],
};

export const REPORT_TYPES: Types = {
  Report: [
    { name: "period", type: "uint32" },
    { name: "reportHash", type: "bytes32" },
    { name: "configEpoch", type: "uint32" },
    { name: "deadline", type: "uint64" },
  ],
};

export const CORRECTION_TYPES: Types = {
  Correction: [
    { name: "generator", type: "address" },
    { name: "period", type: "uint32" },
    { name: "measurementHash", type: "bytes32" },
    { name: "readingsHash", type: "bytes32" },
    { name: "configEpoch", type: "uint32" },
    { name: "deadline", type: "uint64" },
  ],
};

export const SIGNER_UPDATE_TYPES: Types = {
  SignerUpdate: [
    { name: "signers", type: "address[]" },
    { name: "threshold", type: "uint8" },
    { name: "configEpoch", type: "uint32" },
    { name: "deadline", type: "uint64" },
  ],
};

export const METER_READING_TYPES: Types = {
  MeterReading: [
    { name: "meter", type: "address" },
    { name: "generator", type: "address" },
    { name: "period", type: "uint32" },
    { name: "actualWh", type: "int64" },
    { name: "quality", type: "uint8" },
    { name: "readAt", type: "uint64" },
  ],
};

/**
 * A generator's sealed bid (BidBook): it signs the whole bid, which its wallet can show; the
 * contract sees only the hashStruct of `bid` (the commitment) until the reveal.
 */
export const SEALED_BID_TYPES: Types = {
  SealedBid: [
    { name: "generator", type: "address" },
    { name: "firstPeriod", type: "uint32" },
    { name: "lastPeriod", type: "uint32" },
    { name: "bid", type: "BidTerms" },
  ],
  BidTerms: [
    { name: "node", type: "uint32" },
    { name: "up", type: "Step[]" },
    { name: "down", type: "Step[]" },
    { name: "salt", type: "bytes32" },
  ],
  Step: [
    { name: "quantityWh", type: "uint64" },
    { name: "priceUsdPerMWh", type: "uint64" },
  ],
};

/** The EIP-712 type string of each primary type, e.g. "Offer(address centre,…)". */
export function typeString(types: Types): string {
  return TypedDataEncoder.from(types).encodeType(Object.keys(types)[0]);
}

/** Anything implementing ERC-5267 (the market and the oracle). */
export interface Eip712Contract {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]] & { name: string }>;
}

/** The contract's EIP-712 domain, read with ERC-5267 `eip712Domain()`. */
export async function readDomain(contract: Eip712Contract): Promise<TypedDataDomain> {
  const [fields, name, version, chainId, verifyingContract, salt, extensions] = await contract.eip712Domain();
  // GridSwap's contracts use name, version, chainId and verifyingContract only (fields 0x0f).
  if (BigInt(fields) !== 0x0fn || extensions.length !== 0)
    throw new ConfigurationError(
      `unexpected EIP-712 domain fields ${fields} (salt ${salt}, extensions ${extensions.length})`,
    );
  return { name, version, chainId, verifyingContract };
}

// ---------------------------------------------------------------------------------------------
// Plain hashes the contracts store: keccak256(abi.encode(value)), tuples from the compiled ABI.

const coder = AbiCoder.defaultAbiCoder();
const oracleAbi = IGridOracle__factory.createInterface();
const REPORT_PARAM = oracleAbi.getFunction("verifyReport").inputs[0];
const SELECTION_PARAMS = IBidBook__factory.createInterface().getFunction("verifySelection").inputs;
const sealedBidEncoder = TypedDataEncoder.from(SEALED_BID_TYPES);
const MEASUREMENT_PARAM = oracleAbi.getFunction("correctMeasurement").inputs[0];

/** keccak256(abi.encode(report)): what the oracle stores per period and signers sign over. */
export function reportHash(report: ReportStruct): string {
  return keccak256(coder.encode([REPORT_PARAM], [report]));
}

/** keccak256(abi.encode(measurement)): what a correction signs over. */
export function measurementHash(m: MeasurementStruct): string {
  return keccak256(coder.encode([MEASUREMENT_PARAM], [m]));
}

/** The commitment to a bid: the EIP-712 hashStruct of its BidTerms (salt included). */
export function bidCommitment(bid: BidTermsStruct): string {
  return sealedBidEncoder.hashStruct("BidTerms", bid);
}

/**
 * keccak256(abi.encode(period, pricingRule, inputHash, steps)): what the bid book stores for a
 * published selection (pricingRule as IBidBook.PricingRule's ordinal).
 */
export function selectionHash(
  period: bigint | number,
  pricingRule: number,
  inputHash: string,
  steps: readonly SelectedStepStruct[],
): string {
  return keccak256(coder.encode(SELECTION_PARAMS, [period, pricingRule, inputHash, steps]));
}

// ---------------------------------------------------------------------------------------------
// Digests and signatures.

/** The offer's EIP-712 digest (its identity in the market: `offerHash`). */
export function offerHash(domain: TypedDataDomain, offer: OfferStruct): string {
  return TypedDataEncoder.hash(domain, OFFER_TYPES, offer);
}

/** The centre's signature of `offer` (65 bytes, hex). */
export async function signOffer(centre: Signer, domain: TypedDataDomain, offer: OfferStruct): Promise<string> {
  return centre.signTypedData(domain, OFFER_TYPES, offer);
}

function reportValue(report: ReportStruct, configEpoch: bigint | number, deadline: bigint | number) {
  return { period: report.period, reportHash: reportHash(report), configEpoch, deadline };
}

/** The digest oracle signers sign for `report` under configuration `configEpoch` until `deadline`. */
export function reportDigest(
  domain: TypedDataDomain,
  report: ReportStruct,
  configEpoch: bigint | number,
  deadline: bigint | number,
): string {
  return TypedDataEncoder.hash(domain, REPORT_TYPES, reportValue(report, configEpoch, deadline));
}

/** Each signer's signature of `report` (order does not matter to the oracle). */
export async function signReport(
  signers: readonly Signer[],
  domain: TypedDataDomain,
  report: ReportStruct,
  configEpoch: bigint | number,
  deadline: bigint | number,
): Promise<string[]> {
  const value = reportValue(report, configEpoch, deadline);
  const out: string[] = [];
  for (const s of signers) out.push(await s.signTypedData(domain, REPORT_TYPES, value));
  return out;
}

function correctionValue(
  m: MeasurementStruct,
  readingsHash: string,
  configEpoch: bigint | number,
  deadline: bigint | number,
) {
  return {
    generator: m.generator,
    period: m.period,
    measurementHash: measurementHash(m),
    readingsHash,
    configEpoch,
    deadline,
  };
}

/** The digest oracle signers sign to correct a measurement with `m`. */
export function correctionDigest(
  domain: TypedDataDomain,
  m: MeasurementStruct,
  readingsHash: string,
  configEpoch: bigint | number,
  deadline: bigint | number,
): string {
  return TypedDataEncoder.hash(domain, CORRECTION_TYPES, correctionValue(m, readingsHash, configEpoch, deadline));
}

/** Each signer's signature of a correction to `m`. */
export async function signCorrection(
  signers: readonly Signer[],
  domain: TypedDataDomain,
  m: MeasurementStruct,
  readingsHash: string,
  configEpoch: bigint | number,
  deadline: bigint | number,
): Promise<string[]> {
  const value = correctionValue(m, readingsHash, configEpoch, deadline);
  const out: string[] = [];
  for (const s of signers) out.push(await s.signTypedData(domain, CORRECTION_TYPES, value));
  return out;
}

/** The digest the current signers sign to install `newSigners` with `threshold`. */
export function signerUpdateDigest(
  domain: TypedDataDomain,
  newSigners: readonly string[],
  threshold: number,
  configEpoch: bigint | number,
  deadline: bigint | number,
): string {
  return TypedDataEncoder.hash(domain, SIGNER_UPDATE_TYPES, {
    signers: newSigners,
    threshold,
    configEpoch,
    deadline,
  });
}

/** Each current signer's signature of a signer-set update. */
export async function signSignerUpdate(
  signers: readonly Signer[],
  domain: TypedDataDomain,
  newSigners: readonly string[],
  threshold: number,
  configEpoch: bigint | number,
  deadline: bigint | number,
): Promise<string[]> {
  const value = { signers: newSigners, threshold, configEpoch, deadline };
  const out: string[] = [];
  for (const s of signers) out.push(await s.signTypedData(domain, SIGNER_UPDATE_TYPES, value));
  return out;
}

/** The digest a meter key signs for `reading` (oracle domain). */
export function meterReadingDigest(domain: TypedDataDomain, reading: MeterReadingStruct): string {
  return TypedDataEncoder.hash(domain, METER_READING_TYPES, reading);
}

/** The meter key's signature of `reading`. */
export async function signMeterReading(
  meterKey: Signer,
  domain: TypedDataDomain,
  reading: MeterReadingStruct,
): Promise<string> {
  return meterKey.signTypedData(domain, METER_READING_TYPES, reading);
}

/** The digest a generator signs to commit to `sealed.bid` for its periods (bid book domain). */
export function sealedBidDigest(domain: TypedDataDomain, sealed: SealedBidValue): string {
  return TypedDataEncoder.hash(domain, SEALED_BID_TYPES, sealed);
}

/** The generator's signature of its sealed bid (65 bytes, hex). */
export async function signSealedBid(
  generator: Signer,
  domain: TypedDataDomain,
  sealed: SealedBidValue,
): Promise<string> {
  return generator.signTypedData(domain, SEALED_BID_TYPES, sealed);
}
