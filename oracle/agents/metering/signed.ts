/**
 * Signed meter readings (EIP-712) and the readings-set hash a report commits to.
 *
 * The meter key the registry binds to a generator signs, for each period,
 *   MeterReading(address meter, address generator, uint32 period, int64 actualWh, uint8 quality, uint64 readAt)
 * under the GridOracle's EIP-712 domain (the type is oracle/chain/typed-data.ts's, the one the
 * contract verifies disputes with), which callers read from the contract with ERC-5267
 * `eip712Domain()` (readEip712Domain) rather than restating it. Every field a measurement uses
 * is signed: the energy, the meter's quality flag and when it read — a BAD reading relabelled OK,
 * or re-dated, no longer verifies (finding GS-20).
 */
import {
  Contract,
  getAddress,
  keccak256,
  toUtf8Bytes,
  TypedDataEncoder,
  verifyTypedData,
  type ContractRunner,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { METER_READING_TYPES, typeString } from "../../chain/typed-data";
import { DuplicateReadingError, ReadingSignatureError } from "./errors";
import { meterAddress } from "./records";
import { QUALITY_CODE, type MeterReading } from "./types";

export { METER_READING_TYPES };
/** The EIP-712 type string, as the contracts declare it (GridOracle.METER_READING_TYPEHASH). */
export const METER_READING_TYPE = typeString(METER_READING_TYPES);

/** What a meter signs of one reading (IGridOracle.MeterReading). */
export interface MeterReadingMessage {
  readonly meter: string;
  readonly generator: string;
  readonly period: number;
  readonly actualWh: bigint;
  /** IGridOracle.Quality ordinal. */
  readonly quality: number;
  /** The reading's timestamp, Unix s. */
  readonly readAt: number;
}

/** The fields of a reading a meter signs. */
export type SignedFields = Pick<MeterReading, "meter" | "period" | "energyWh" | "quality" | "timestamp">;

export function readingMessage(generator: string, reading: SignedFields): MeterReadingMessage {
  return {
    meter: getAddress(reading.meter),
    generator: getAddress(generator),
    period: reading.period,
    actualWh: reading.energyWh,
    quality: QUALITY_CODE[reading.quality],
    readAt: reading.timestamp,
  };
}

/** The EIP-712 digest a contract recovers the meter key from (`_hashTypedDataV4`). */
export function readingDigest(domain: TypedDataDomain, generator: string, reading: SignedFields): string {
  return TypedDataEncoder.hash(domain, METER_READING_TYPES, readingMessage(generator, reading));
}

/** Anything that signs EIP-712 typed data: an ethers Wallet, a HardhatEthersSigner, a keystore wallet. */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** Signs a reading with the meter's wallet (meters, the demo, simulations and tests). */
export async function signReading(
  meterWallet: TypedDataSigner,
  domain: TypedDataDomain,
  generator: string,
  reading: SignedFields,
): Promise<string> {
  const message = readingMessage(generator, reading);
  return meterWallet.signTypedData(domain, { ...METER_READING_TYPES }, { ...message });
}

/**
 * Checks that `reading` carries a signature by its own meter key (`reading.meter`, the key bound
 * to `generator`) over every field it signs under `domain`. Throws a ReadingSignatureError:
 * "missing" (no signature), "bad" (not a valid 65-byte secp256k1 signature with low s, as
 * OpenZeppelin's ECDSA.recover demands) or "foreign" (valid, but by another key — or over other values).
 */
export function verifyReadingSignature(reading: MeterReading, generator: string, domain: TypedDataDomain): void {
  const fail = (problem: "missing" | "bad" | "foreign", detail: string, signer?: string): never => {
    throw new ReadingSignatureError(problem, reading.meter, reading.period, reading.origin, detail, signer);
  };
  if (reading.signature === undefined) fail("missing", "the reading is not signed");
  const signature = reading.signature as string;
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) fail("bad", "the signature is not 65 bytes (0x + 130 hex digits)");
  let signer = "";
  try {
    signer = verifyTypedData(domain, METER_READING_TYPES, readingMessage(generator, reading), signature);
  } catch (e) {
    fail("bad", `the signature is invalid (${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message})`);
  }
  if (signer !== meterAddress(reading)) {
    fail(
      "foreign",
      `the signature over ${reading.energyWh} Wh (${reading.quality}, read at ${reading.timestamp}) for generator ${getAddress(generator)} recovers ${signer}, not the meter key`,
      signer,
    );
  }
}

const ERC5267_ABI = [
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
];

/**
 * A contract's EIP-712 domain, read with ERC-5267 `eip712Domain()` (the GridOracle's, for meter
 * readings): only the fields its bitmap marks as used (0x01 name, 0x02 version, 0x04 chainId,
 * 0x08 verifyingContract, 0x10 salt).
 */
export async function readEip712Domain(runner: ContractRunner, address: string): Promise<TypedDataDomain> {
  const contract = new Contract(getAddress(address), ERC5267_ABI, runner);
  let answer: [string, string, string, bigint, string, string, bigint[]];
  try {
    answer = await contract.eip712Domain();
  } catch (e) {
    throw new Error(
      `cannot read the EIP-712 domain of ${address} (ERC-5267 eip712Domain()): ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`,
    );
  }
  const [fieldsHex, name, version, chainId, verifyingContract, salt, extensions] = answer;
  if (extensions.length > 0) throw new Error(`the EIP-712 domain of ${address} uses ERC-5267 extensions: unsupported`);
  const fields = parseInt(fieldsHex, 16);
  return {
    ...(fields & 0x01 ? { name } : {}),
    ...(fields & 0x02 ? { version } : {}),
    ...(fields & 0x04 ? { chainId } : {}),
    ...(fields & 0x08 ? { verifyingContract } : {}),
    ...(fields & 0x10 ? { salt } : {}),
  };
}

/**
 * The canonical JSON of a set of readings, the text the readings hash is taken of: a JSON array,
 * sorted by meter (as a 160-bit number) then period, each reading
 *   {"meter":"0xChecksummed","period":123,"energyWh":"-1500","quality":"OK","timestamp":1705314600,"signature":"0x…"|null}
 * in exactly that field order, energy as a decimal string, signature lower-case hex, no spaces.
 * `origin` is left out (it is local to the oracle that read it). Duplicate (meter, period) → error.
 */
export function canonicalReadingsJson(readings: readonly MeterReading[]): string {
  const rows = readings.map((r) => ({ key: meterAddress(r).toLowerCase(), reading: r }));
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.reading.period - b.reading.period));
  for (let i = 1; i < rows.length; i++) {
    const [previous, current] = [rows[i - 1], rows[i]];
    if (previous.key === current.key && previous.reading.period === current.reading.period) {
      throw new DuplicateReadingError(getAddress(current.key), current.reading.period, [
        previous.reading.origin,
        current.reading.origin,
      ]);
    }
  }
  return JSON.stringify(
    rows.map(({ reading: r }) => ({
      meter: meterAddress(r),
      period: r.period,
      energyWh: r.energyWh.toString(),
      quality: r.quality,
      timestamp: r.timestamp,
      signature: r.signature === undefined ? null : r.signature.toLowerCase(),
    })),
  );
}

/** readingsHash = keccak256(UTF-8 of canonicalReadingsJson(readings)), bytes32 hex. */
export function readingsHash(readings: readonly MeterReading[]): string {
  return keccak256(toUtf8Bytes(canonicalReadingsJson(readings)));
}
