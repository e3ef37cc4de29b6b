/**
 * Signed meter readings: EIP-712 MeterReading(generator, period, actualWh) signed by the meter
 * key, verified against the key bound to the generator (made-up domain, ethers Wallets); the
 * domain read from a deployed GridOracle with ERC-5267; the canonical readings-set hash.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256, Signature, toUtf8Bytes, TypedDataEncoder, Wallet, type TypedDataDomain } from "ethers";
import { DuplicateReadingError, ReadingSignatureError } from "../../../../oracle/agents/metering/errors";
import {
  canonicalReadingsJson,
  METER_READING_TYPE,
  METER_READING_TYPES,
  readEip712Domain,
  readingDigest,
  readingsHash,
  signReading,
  verifyReadingSignature,
} from "../../../../oracle/agents/metering/signed";
import type { MeterReading } from "../../../../oracle/agents/metering/types";

const T = 1800;
const P = 947_396;
const DOMAIN: TypedDataDomain = {
  name: "GridSwap GridOracle",
  version: "1",
  chainId: 31337,
  verifyingContract: "0x00000000000000000000000000000000000000fe",
};
// Fixed keys so the readings hash below is reproducible by hand.
const meterKey = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 27")));
const otherKey = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 30")));
const GENERATOR = "0x000000000000000000000000000000000000a027";
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const reading = (over: Partial<MeterReading> = {}): MeterReading => ({
  meter: meterKey.address,
  period: P,
  energyWh: 1_250_000n,
  quality: "OK",
  timestamp: (P + 1) * T,
  origin: "readings.csv:2",
  ...over,
});

function signatureError(fn: () => void): ReadingSignatureError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ReadingSignatureError);
    return e as ReadingSignatureError;
  }
  throw new Error("expected a ReadingSignatureError");
}

describe("signed meter readings", () => {
  it("sign with the meter wallet and verify against the meter key bound to the generator", async () => {
    const signature = await signReading(meterKey, DOMAIN, GENERATOR, reading());
    expect(() => verifyReadingSignature(reading({ signature }), GENERATOR, DOMAIN)).to.not.throw();
    // The digest a contract would recover from: EIP-712 over the declared type.
    expect(ethers.recoverAddress(readingDigest(DOMAIN, GENERATOR, reading()), signature)).to.equal(meterKey.address);
    expect(TypedDataEncoder.from(METER_READING_TYPES).encodeType("MeterReading")).to.equal(METER_READING_TYPE);
    // Signed negative energy (an import) round-trips through int64.
    const negative = reading({ energyWh: -42n });
    const s2 = await signReading(meterKey, DOMAIN, GENERATOR, negative);
    expect(() => verifyReadingSignature({ ...negative, signature: s2 }, GENERATOR, DOMAIN)).to.not.throw();
  });

  it("reject a foreign key, other values, another generator or another domain, naming meter and period", async () => {
    const foreign = await signReading(otherKey, DOMAIN, GENERATOR, reading());
    const e = signatureError(() => verifyReadingSignature(reading({ signature: foreign }), GENERATOR, DOMAIN));
    expect(e.kind).to.equal("foreign");
    expect(e.code).to.equal("FOREIGN_SIGNATURE");
    expect(e.signer).to.equal(otherKey.address);
    expect(e.message).to.equal(
      `readings.csv:2: meter ${meterKey.address}, period ${P}: the signature over 1250000 Wh (OK, read at 1705314600) for generator ` +
        `${ethers.getAddress(GENERATOR)} recovers ${otherKey.address}, not the meter key`,
    );

    const signature = await signReading(meterKey, DOMAIN, GENERATOR, reading());
    const cases: [string, () => void][] = [
      ["energy", () => verifyReadingSignature(reading({ signature, energyWh: 1_250_001n }), GENERATOR, DOMAIN)],
      ["period", () => verifyReadingSignature(reading({ signature, period: P + 1 }), GENERATOR, DOMAIN)],
      ["generator", () => verifyReadingSignature(reading({ signature }), otherKey.address, DOMAIN)],
      ["chain", () => verifyReadingSignature(reading({ signature }), GENERATOR, { ...DOMAIN, chainId: 1 })],
      [
        "contract",
        () =>
          verifyReadingSignature(reading({ signature }), GENERATOR, {
            ...DOMAIN,
            verifyingContract: "0x00000000000000000000000000000000000000fd",
          }),
      ],
    ];
    for (const [what, verify] of cases) expect(signatureError(verify).kind, what).to.equal("foreign");
  });

  it("reject a missing or malformed signature, including a high-s twin OpenZeppelin's ECDSA refuses", async () => {
    const missing = signatureError(() => verifyReadingSignature(reading(), GENERATOR, DOMAIN));
    expect([missing.kind, missing.code]).to.deep.equal(["missing", "MISSING_SIGNATURE"]);
    expect(missing.message).to.equal(
      `readings.csv:2: meter ${meterKey.address}, period ${P}: the reading is not signed`,
    );

    const good = Signature.from(await signReading(meterKey, DOMAIN, GENERATOR, reading()));
    const highS = `0x${good.r.slice(2)}${(SECP256K1_N - BigInt(good.s)).toString(16).padStart(64, "0")}${good.v === 27 ? "1c" : "1b"}`;
    const bad: [string, string, RegExp][] = [
      ["high s", highS, /the signature is invalid \(non-canonical s/],
      ["zero", `0x${"00".repeat(65)}`, /the signature is invalid/],
      ["v", `${good.serialized.slice(0, -2)}05`, /the signature is invalid \(invalid v/],
      ["compact", good.compactSerialized, /the signature is not 65 bytes/],
    ];
    for (const [what, signature, message] of bad) {
      const e = signatureError(() => verifyReadingSignature(reading({ signature }), GENERATOR, DOMAIN));
      expect([e.kind, e.code], what).to.deep.equal(["bad", "BAD_SIGNATURE"]);
      expect(e.message, what).to.match(message);
    }
  });

  it("read the GridOracle's domain with ERC-5267 — the very domain its EIP-712 digests use", async () => {
    const [signer, registry] = await ethers.getSigners();
    // A one-signer oracle with 30-minute periods and a one-period dispute window (the registry is
    // only an address here: reading the domain and digests never calls it).
    const oracle = await ethers.deployContract("GridOracle", [[signer.address], 1, 1800, 1800, registry.address]);
    const address = await oracle.getAddress();
    const domain = await readEip712Domain(ethers.provider, address);
    expect(domain).to.deep.equal({
      name: "GridSwap Oracle",
      version: "3",
      chainId: 31337n,
      verifyingContract: address,
    });
    // The contract's own digest of a meter reading agrees with ethers under the domain read.
    const message = {
      meter: meterKey.address,
      generator: GENERATOR,
      period: 7,
      actualWh: 1234,
      quality: 2,
      readAt: 99,
    };
    expect(await oracle.meterReadingDigest(message)).to.equal(
      TypedDataEncoder.hash(domain, { MeterReading: METER_READING_TYPES.MeterReading }, message),
    );
    // A reading signed under it verifies; an account with no code has no domain.
    const signature = await signReading(meterKey, domain, GENERATOR, reading());
    expect(() => verifyReadingSignature(reading({ signature }), GENERATOR, domain)).to.not.throw();
    let error: Error | undefined;
    await readEip712Domain(ethers.provider, GENERATOR).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/cannot read the EIP-712 domain of 0x0+a027 \(ERC-5267 eip712Domain\(\)\)/);
  });
});

describe("readings hash", () => {
  const A = meterKey.address; // 0x…, sorted by its 160-bit value against B
  const B = otherKey.address;
  const [first, second] = BigInt(A) < BigInt(B) ? [A, B] : [B, A];
  const SIG = `0x${"Ab".repeat(65)}`;
  const set: MeterReading[] = [
    reading({ meter: second, period: P, energyWh: -7n, quality: "BAD", origin: "http://h/r readings[0]" }),
    reading({ meter: first.toLowerCase(), period: P + 1, energyWh: 2n, signature: SIG, origin: "b.csv:9" }),
    reading({
      meter: first,
      period: P,
      energyWh: 1n,
      quality: "ESTIMATED",
      timestamp: 1_705_314_601,
      origin: "a.csv:2",
    }),
  ];

  it("is keccak256 of a canonical JSON: sorted by meter then period, fixed field order, decimal strings", () => {
    const expected =
      "[" +
      `{"meter":"${first}","period":${P},"energyWh":"1","quality":"ESTIMATED","timestamp":1705314601,"signature":null},` +
      `{"meter":"${first}","period":${P + 1},"energyWh":"2","quality":"OK","timestamp":${(P + 1) * T},"signature":"0x${"ab".repeat(65)}"},` +
      `{"meter":"${second}","period":${P},"energyWh":"-7","quality":"BAD","timestamp":${(P + 1) * T},"signature":null}` +
      "]";
    expect(canonicalReadingsJson(set)).to.equal(expected);
    expect(readingsHash(set)).to.equal(keccak256(toUtf8Bytes(expected)));
    expect(readingsHash([])).to.equal(keccak256(toUtf8Bytes("[]")));
  });

  it("does not depend on order or origin, and changes with every field that was read", () => {
    const hash = readingsHash(set);
    expect(readingsHash([set[2], set[0], set[1]])).to.equal(hash);
    expect(readingsHash(set.map((r) => ({ ...r, origin: "elsewhere" })))).to.equal(hash);
    const changed: Partial<MeterReading>[] = [
      { energyWh: 3n },
      { period: P + 2 },
      { quality: "OK" },
      { timestamp: 1 },
      { signature: `0x${"cd".repeat(65)}` },
      { meter: "0x0000000000000000000000000000000000000003" },
    ];
    for (const change of changed) {
      expect(
        readingsHash([{ ...set[0], ...change }, set[1], set[2]]),
        JSON.stringify(change, (_, v) => String(v)),
      ).to.not.equal(hash);
    }
  });

  it("matches the example and the typehash in docs/metering.md", () => {
    const example: MeterReading[] = [
      reading({ meter: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", energyWh: 650_000n, timestamp: 1_705_314_600 }),
      reading({
        meter: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        energyWh: -375_000n,
        quality: "ESTIMATED",
        timestamp: 1_705_314_605,
      }),
    ];
    expect(readingsHash(example)).to.equal("0xec0c19fab3173d9164a5a8b57d2bb4e82606c98da1a91ab71508246e05ae11af");
    expect(ethers.id(METER_READING_TYPE)).to.equal(
      "0x8c28711c1f51b0cf2aeb91279f1838bc354ca74957cfdeadb3f12317d51eb3f0",
    );
  });

  it("refuses a set with two readings of one meter and period", () => {
    expect(() => readingsHash([...set, { ...set[2], origin: "c.csv:4" }])).to.throw(
      DuplicateReadingError,
      `meter ${first}, period ${P}: read more than once (a.csv:2, c.csv:4)`,
    );
  });
});
