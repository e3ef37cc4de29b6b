/**
 * The reading set before a report: unknown meter, future period, early reading, duplicates across
 * sources, missing/bad/foreign signatures — each a MeterDataError naming where the reading came from.
 */
import { expect } from "chai";
import { getAddress, keccak256, toUtf8Bytes, Wallet, type TypedDataDomain } from "ethers";
import {
  AmbiguousMeterError,
  DuplicateReadingError,
  EarlyReadingError,
  FuturePeriodError,
  MeterDataError,
  MeterFormatError,
  ReadingSignatureError,
  UnknownMeterError,
} from "../../../../oracle/agents/metering/errors";
import { readingsHash, signReading } from "../../../../oracle/agents/metering/signed";
import type { MeterReading } from "../../../../oracle/agents/metering/types";
import { readingProblems, validateReadings, type ReadingSetContext } from "../../../../oracle/agents/metering/validate";

const T = 1800;
const P = 947_396;
const END = (P + 1) * T;
const DOMAIN: TypedDataDomain = {
  name: "GridSwap GridOracle",
  version: "1",
  chainId: 31337,
  verifyingContract: "0x00000000000000000000000000000000000000fe",
};
const meter27 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 27")));
const meter30 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 30")));
const stranger = new Wallet(keccak256(toUtf8Bytes("gridswap test stranger")));
const GEN27 = "0x000000000000000000000000000000000000A027";
const GEN30 = "0x000000000000000000000000000000000000a030";

const context = (over: Partial<ReadingSetContext> = {}): ReadingSetContext => ({
  generatorOf: new Map([
    [meter27.address.toLowerCase(), GEN27.toLowerCase()],
    [meter30.address, GEN30],
  ]),
  now: END + 60,
  periodSeconds: T,
  ...over,
});

async function signed(meter: Wallet, generator: string, over: Partial<MeterReading> = {}): Promise<MeterReading> {
  const base: MeterReading = {
    meter: meter.address,
    period: P,
    energyWh: 1_000_000n,
    quality: "OK",
    timestamp: END + 5,
    origin: `${meter === meter27 ? "gen27" : "gen30"}.csv:2`,
    ...over,
  };
  return { ...base, signature: await signReading(meter, DOMAIN, generator, base) };
}

function thrown(fn: () => void): MeterDataError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(MeterDataError);
    return e as MeterDataError;
  }
  throw new Error("expected a MeterDataError");
}

describe("validating a reading set", () => {
  it("passes a sound set: known meters, ended periods, one reading each, signed by their meter keys", async () => {
    const readings = [
      await signed(meter27, GEN27),
      await signed(meter30, GEN30),
      await signed(meter27, GEN27, { period: P - 1, timestamp: END - T }),
    ];
    const ctx = context({ signatures: { domain: DOMAIN, required: true } });
    expect(readingProblems(readings, ctx)).to.deep.equal([]);
    expect(() => validateReadings(readings, ctx)).to.not.throw();
    // A period has ended exactly at its end: [p·T, (p+1)·T).
    expect(() => validateReadings(readings, { ...ctx, now: END })).to.not.throw();
  });

  it("rejects a reading by a meter not bound to any generator", async () => {
    const e = thrown(() =>
      validateReadings([{ ...readingOf(stranger), origin: "http://127.0.0.1:8080/r readings[4]" }], context()),
    );
    expect(e).to.be.instanceOf(UnknownMeterError);
    expect(e.code).to.equal("UNKNOWN_METER");
    expect(e.message).to.equal(
      `http://127.0.0.1:8080/r readings[4]: meter ${stranger.address} (period ${P}) is not bound to any generator`,
    );
  });

  it("rejects a reading of a period that has not ended at the chain's time", () => {
    const e = thrown(() => validateReadings([readingOf(meter27)], context({ now: END - 1 })));
    expect(e).to.be.instanceOf(FuturePeriodError);
    expect(e.message).to.equal(
      `gen27.csv:2: meter ${meter27.address}: period ${P} has not ended at chain time ${END - 1} (it ends at ${END})`,
    );
  });

  it("rejects a reading taken before its period ended (a partial reading)", () => {
    const e = thrown(() => validateReadings([readingOf(meter27, { timestamp: END - 300 })], context()));
    expect(e).to.be.instanceOf(EarlyReadingError);
    expect(e.message).to.equal(
      `gen27.csv:2: meter ${meter27.address}: reading for period ${P} was taken at ${END - 300}, before the period ended at ${END}`,
    );
  });

  it("rejects two readings of one meter and period across sources, naming both", () => {
    const fromFile = readingOf(meter30, { origin: "/var/meters/a.csv:7" });
    const fromHttp = readingOf(meter30, {
      meter: meter30.address.toLowerCase(),
      energyWh: 1n,
      origin: "http://hub/r readings[0]",
    });
    const e = thrown(() => validateReadings([fromFile, fromHttp], context()));
    expect(e).to.be.instanceOf(DuplicateReadingError);
    expect(e.message).to.equal(
      `meter ${meter30.address}, period ${P}: read more than once (/var/meters/a.csv:7, http://hub/r readings[0])`,
    );
    // Identical copies are duplicates too: which source is right is for the operator to settle.
    expect(() => validateReadings([fromFile, fromFile], context())).to.throw(DuplicateReadingError);
  });

  it("with signatures required, rejects unsigned, malformed and foreign signatures", async () => {
    const ctx = context({ signatures: { domain: DOMAIN, required: true } });
    const problem = (r: MeterReading) => thrown(() => validateReadings([r], ctx)) as ReadingSignatureError;

    const unsigned = problem(readingOf(meter27));
    expect([unsigned.constructor, unsigned.code]).to.deep.equal([ReadingSignatureError, "MISSING_SIGNATURE"]);
    expect(unsigned.message).to.equal(`gen27.csv:2: meter ${meter27.address}, period ${P}: the reading is not signed`);

    const malformed = problem(readingOf(meter27, { signature: `0x${"00".repeat(65)}` }));
    expect(malformed.code).to.equal("BAD_SIGNATURE");

    // Signed by a key the registry does not bind to generator 27.
    const byStranger = await signed(stranger, GEN27, { meter: meter27.address });
    const foreign = problem(byStranger);
    expect([foreign.code, foreign.signer]).to.deep.equal(["FOREIGN_SIGNATURE", stranger.address]);
    // Meter 30's valid signature for its own generator, replayed as meter 27's reading.
    const replayed = { ...(await signed(meter30, GEN30)), meter: meter27.address };
    expect(problem(replayed).code).to.equal("FOREIGN_SIGNATURE");
    // The value changed after signing.
    expect(problem({ ...(await signed(meter27, GEN27)), energyWh: 2_000_000n }).code).to.equal("FOREIGN_SIGNATURE");
  });

  it("without required signatures, still rejects a signature that does not verify; with no domain, checks none", async () => {
    const ctx = context({ signatures: { domain: DOMAIN, required: false } });
    expect(() => validateReadings([readingOf(meter27)], ctx)).to.not.throw();
    const tampered = { ...(await signed(meter27, GEN27)), energyWh: 1n };
    expect(thrown(() => validateReadings([tampered], ctx)).code).to.equal("FOREIGN_SIGNATURE");
    expect(() => validateReadings([tampered], context())).to.not.throw();
  });

  it("rejects a meter map binding two meters to one generator", () => {
    const generatorOf = new Map([
      [meter27.address, GEN27],
      [meter30.address, GEN27.toLowerCase()],
    ]);
    const e = thrown(() => validateReadings([], context({ generatorOf })));
    expect(e).to.be.instanceOf(AmbiguousMeterError);
    expect(e.message).to.equal(
      `generator ${getAddress(GEN27)} has more than one meter: ${meter27.address}, ${meter30.address}`,
    );
    expect(() => validateReadings([], context({ generatorOf: new Map([["0x12", GEN27]]) }))).to.throw(
      RangeError,
      /meter map: meter "0x12" is not an address/,
    );
  });

  it("names a reading built with a meter that is not an address", () => {
    const e = thrown(() =>
      validateReadings([readingOf(meter27, { meter: "meter-27", origin: "simulator" })], context()),
    );
    expect(e).to.be.instanceOf(MeterFormatError);
    expect(e.message).to.equal('simulator: meter "meter-27" is not an address');
    expect(() => readingsHash([readingOf(meter27, { meter: "0x27", origin: "simulator" })])).to.throw(
      MeterFormatError,
      'simulator: meter "0x27" is not an address',
    );
  });

  it("lists every problem in a fixed order, and throws the first with a count of the rest", () => {
    const readings = [
      readingOf(stranger, { period: P + 5 }), // unknown and future
      readingOf(meter27, { timestamp: END - 1 }), // early
      readingOf(meter30),
      readingOf(meter30, { origin: "b.csv:3" }), // duplicate
    ];
    const problems = readingProblems(readings, context());
    expect(problems.map((p) => p.code).sort()).to.deep.equal(
      ["DUPLICATE_READING", "EARLY_READING", "FUTURE_PERIOD", "UNKNOWN_METER"].sort(),
    );
    // Same problems in the same order whatever order the sources returned the readings in.
    const reversed = readingProblems([...readings].reverse(), context());
    expect(reversed.map((p) => p.message)).to.deep.equal(problems.map((p) => p.message));
    const e = thrown(() => validateReadings(readings, context()));
    expect(e.code).to.equal(problems[0].code);
    expect(e.message).to.equal(`${problems[0].message} (and 3 more problems)`);
  });
});

function readingOf(meter: Wallet, over: Partial<MeterReading> = {}): MeterReading {
  return {
    meter: meter.address,
    period: P,
    energyWh: 1_000_000n,
    quality: "OK",
    timestamp: END + 5,
    origin: `${meter === meter27 ? "gen27" : meter === meter30 ? "gen30" : "stranger"}.csv:2`,
    ...over,
  };
}
