/**
 * Screening a batch (docs/metering.md, "Isolation"): each kind of bad input — malformed record, two
 * different readings, unsigned, invalid or foreign signature (relabelled quality, re-dated, changed
 * value, another meter's), early, implausible, out of int64 — makes only its own meter-period bad,
 * with a reason naming where it came from; identical copies count once; unknown meters, periods
 * not yet ended and records naming no meter are ignored; one bad meter never touches another's.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, keccak256, toUtf8Bytes, Wallet, type TypedDataDomain } from "ethers";
import {
  FileMeterSource,
  measureDeliveries,
  PLAUSIBILITY_MARGIN_PERCENT,
  screenReadings,
  signReading,
  type MeterReading,
  type ReadingBatch,
  type RejectedRecord,
  type ScreenContext,
  type ScreenedReadings,
} from "../../../../oracle/agents/metering";
import { INT64_MAX, INT64_MIN } from "../../../../oracle/agents/metering/units";

const T = 1800;
const P = 947_396;
const END = (P + 1) * T;
const DOMAIN: TypedDataDomain = {
  name: "GridSwap Oracle",
  version: "3",
  chainId: 31337,
  verifyingContract: "0x00000000000000000000000000000000000000fe",
};
const meter27 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 27")));
const meter30 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 30")));
const stranger = new Wallet(keccak256(toUtf8Bytes("gridswap test stranger")));
const GEN27 = "0x000000000000000000000000000000000000A027";
const GEN30 = "0x000000000000000000000000000000000000a030";
const CAPACITY_WH = 2_000_000n; // 4 MW over half an hour

const context = (over: Partial<ScreenContext> = {}): ScreenContext => ({
  generatorOf: new Map([
    [meter27.address.toLowerCase(), GEN27.toLowerCase()],
    [meter30.address, GEN30],
  ]),
  capacityWhOf: () => CAPACITY_WH,
  now: END + 60,
  periodSeconds: T,
  ...over,
});
const required = { signatures: { domain: DOMAIN, required: true } } as const;

const readingOf = (meter: Wallet, over: Partial<MeterReading> = {}): MeterReading => ({
  meter: meter.address,
  period: P,
  energyWh: 1_000_000n,
  quality: "OK",
  timestamp: END + 5,
  origin: `${meter === meter27 ? "gen27" : meter === meter30 ? "gen30" : "stranger"}.csv:2`,
  ...over,
});

async function signed(meter: Wallet, generator: string, over: Partial<MeterReading> = {}): Promise<MeterReading> {
  const base = readingOf(meter, over);
  return { ...base, signature: await signReading(meter, DOMAIN, generator, base) };
}

const batch = (readings: MeterReading[], rejected: RejectedRecord[] = []): ReadingBatch => ({ readings, rejected });
const key = (meter: Wallet, period = P) => `${meter.address.toLowerCase()}:${period}`;
/** The reasons one meter-period is bad, or undefined when it is not. */
const reasonsOf = (screened: ScreenedReadings, meter: Wallet, period = P) =>
  screened.bad.get(key(meter, period))?.reasons;

/** Generators 27 and 30 measured in P against their readings of P − 1, from screened readings. */
const measureBoth = (screened: ScreenedReadings) =>
  measureDeliveries({
    readings: screened.usable,
    bad: screened.bad,
    generatorOf: context().generatorOf,
    periodSeconds: T,
    deliveries: [
      { generator: GEN27, period: P, baseline: { method: "MeterBefore" } },
      { generator: GEN30, period: P, baseline: { method: "MeterBefore" } },
    ],
  });

describe("screening meter readings", () => {
  it("passes a sound batch: one usable reading per meter-period, sorted, nothing bad or ignored", async () => {
    const readings = [
      await signed(meter30, GEN30),
      await signed(meter27, GEN27, { period: P - 1, timestamp: END - T, quality: "BAD" }),
      await signed(meter27, GEN27),
    ];
    const screened = screenReadings(batch(readings), context(required));
    expect(screened.bad.size).to.equal(0);
    expect(screened.ignored).to.deep.equal([]);
    // Sorted by meter (as a number: meter 30's key 0x5D06… before meter 27's 0xa983…), then period.
    expect(screened.usable.map((r) => [r.meter, r.period])).to.deep.equal([
      [meter30.address, P],
      [meter27.address, P - 1],
      [meter27.address, P],
    ]);
    // A meter-quality BAD reading is a measurement of quality BAD: usable, as it is.
    expect(screened.usable.find((r) => r.period === P - 1)?.quality).to.equal("BAD");
    // A period has ended exactly at its end: [p·T, (p+1)·T).
    expect(screenReadings(batch(readings), context({ ...required, now: END })).usable).to.have.length(3);
  });

  it("makes each kind of bad reading bad for its own meter-period only, naming it; meter 30 is measured throughout", async () => {
    const good30 = await signed(meter30, GEN30);
    const good27 = await signed(meter27, GEN27);
    const before30 = await signed(meter30, GEN30, { period: P - 1, timestamp: END - T, energyWh: 900_000n });
    const cases: [string, MeterReading[], RejectedRecord[], RegExp][] = [
      [
        "malformed",
        [],
        [{ origin: "gen27.csv:4", problem: "quoted fields are not supported", meter: meter27.address, period: P }],
        /^malformed: quoted fields are not supported \(gen27\.csv:4\)$/,
      ],
      [
        "malformed beside a good reading",
        [good27],
        [
          {
            origin: "gen27.csv:4",
            problem: "8 fields, but the header has 7 columns",
            meter: meter27.address,
            period: P,
          },
        ],
        /^malformed: 8 fields, but the header has 7 columns \(gen27\.csv:4\)$/,
      ],
      [
        "two different readings",
        [good27, await signed(meter27, GEN27, { energyWh: 1n, origin: "http://hub/r readings[0]" })],
        [],
        /^two different readings: 1000000 Wh, OK, read at \d+, signature 0x[0-9a-f]{8}…[0-9a-f]{4} \(gen27\.csv:2\) and 1 Wh, OK, read at \d+, signature .* \(http:\/\/hub\/r readings\[0\]\)$/,
      ],
      ["unsigned", [readingOf(meter27)], [], /^unsigned \(gen27\.csv:2\)$/],
      [
        "bad signature",
        [readingOf(meter27, { signature: `0x${"00".repeat(65)}` })],
        [],
        /^bad signature: the signature is invalid .* \(gen27\.csv:2\)$/,
      ],
      [
        "foreign: signed by another key",
        [await signed(stranger, GEN27, { meter: meter27.address, origin: "gen27.csv:2" })],
        [],
        new RegExp(
          `^foreign signature: the signature over .* recovers ${stranger.address}, not the meter key \\(gen27\\.csv:2\\)$`,
        ),
      ],
      [
        "foreign: meter 30's valid signature replayed as meter 27's",
        [{ ...(await signed(meter30, GEN30)), meter: meter27.address, origin: "gen27.csv:2" }],
        [],
        /^foreign signature: /,
      ],
      [
        "foreign: BAD relabelled OK",
        [{ ...(await signed(meter27, GEN27, { quality: "BAD" })), quality: "OK" }],
        [],
        /^foreign signature: the signature over 1000000 Wh \(OK, /,
      ],
      ["foreign: re-dated", [{ ...good27, timestamp: good27.timestamp + 600 }], [], /^foreign signature: /],
      ["foreign: value changed", [{ ...good27, energyWh: 2_000_000n }], [], /^foreign signature: /],
      [
        "early",
        [await signed(meter27, GEN27, { timestamp: END - 300 })],
        [],
        new RegExp(`^early: read at ${END - 300}, before the period ended at ${END} \\(gen27\\.csv:2\\)$`),
      ],
      [
        "implausible",
        [await signed(meter27, GEN27, { energyWh: 2_200_001n })],
        [],
        /^implausible: 2200001 Wh from a unit of capacity 2000000 Wh per period, more than 10 % above it \(gen27\.csv:2\)$/,
      ],
      [
        "implausible import",
        [await signed(meter27, GEN27, { energyWh: -2_200_001n })],
        [],
        /^implausible: -2200001 Wh from a unit of capacity 2000000 Wh per period/,
      ],
      [
        "int64 minimum",
        [await signed(meter27, GEN27, { energyWh: INT64_MIN })],
        [],
        /^implausible: -9223372036854775808 Wh from a unit of capacity 2000000 Wh per period/,
      ],
      [
        "int64 maximum",
        [await signed(meter27, GEN27, { energyWh: INT64_MAX })],
        [],
        /^implausible: 9223372036854775807 Wh from a unit of capacity 2000000 Wh per period/,
      ],
      [
        "out of int64",
        [readingOf(meter27, { energyWh: INT64_MAX + 1n, signature: good27.signature })],
        [],
        /^out of range: 9223372036854775808 Wh does not fit an int64 \(gen27\.csv:2\)$/,
      ],
    ];
    for (const [what, readings, rejected, reason] of cases) {
      const screened = screenReadings(batch([before30, ...readings, good30], rejected), context(required));
      const reasons = reasonsOf(screened, meter27);
      expect(reasons, what).to.have.length(1);
      expect((reasons as string[])[0], what).to.match(reason);
      expect(screened.bad.get(key(meter27))?.meter, what).to.equal(meter27.address);
      expect(screened.bad.size, what).to.equal(1);
      expect(screened.ignored, what).to.deep.equal([]);
      // Meter 30 untouched: both its readings usable, nothing of meter 27's period used.
      expect(screened.usable, what).to.deep.equal([before30, good30].sort((a, b) => a.period - b.period));
      // And measured: meter 27's delivery BAD with the reason, meter 30's OK.
      const [m27, m30] = measureBoth(screened);
      expect([m27.quality, m27.actualWh, m27.deliveredWh, m27.notes], what).to.deep.equal(["BAD", 0n, 0n, reasons]);
      expect([m30.quality, m30.deliveredWh], what).to.deep.equal(["OK", 100_000n]);
    }
  });

  it("counts identical readings from two sources once; names every different one", async () => {
    const reading = await signed(meter27, GEN27);
    const copy = { ...reading, meter: reading.meter.toLowerCase(), origin: "http://hub/r readings[0]" };
    const once = screenReadings(batch([reading, copy]), context(required));
    expect(once.bad.size).to.equal(0);
    expect(once.usable).to.deep.equal([reading]); // the first by origin, checksummed
    // The same values, one copy unsigned: different readings (and the unsigned one is named too).
    const unsigned = { ...readingOf(meter27), origin: "http://hub/r readings[0]" };
    const differ = screenReadings(batch([reading, unsigned]), context(required));
    expect(reasonsOf(differ, meter27)).to.have.length(2);
    expect(reasonsOf(differ, meter27)?.[0]).to.match(
      /^two different readings: .* and 1000000 Wh, OK, read at \d+, unsigned \(http/,
    );
    expect(reasonsOf(differ, meter27)?.[1]).to.equal("unsigned (http://hub/r readings[0])");
    // Three: all named.
    const three = [reading, { ...reading, energyWh: 2n, origin: "b" }, { ...reading, energyWh: 3n, origin: "c" }];
    const reasons = reasonsOf(screenReadings(batch(three), context()), meter27) as string[];
    expect(reasons[0]).to.match(
      /^3 different readings: 2 Wh, .* \(b\); 3 Wh, .* \(c\) and 1000000 Wh, .* \(gen27\.csv:2\)$/,
    );
  });

  it("checks signatures present even when not required, and none without a domain", async () => {
    const tampered = { ...(await signed(meter27, GEN27)), energyWh: 1n };
    const optional = context({ signatures: { domain: DOMAIN, required: false } });
    expect(screenReadings(batch([readingOf(meter27)]), optional).usable).to.have.length(1);
    expect(reasonsOf(screenReadings(batch([tampered]), optional), meter27)?.[0]).to.match(/^foreign signature: /);
    expect(screenReadings(batch([tampered, readingOf(meter30)]), context()).usable).to.have.length(2);
  });

  it("bounds energy by the generator's capacity plus the margin, or not at all without a capacity", async () => {
    const limit = (CAPACITY_WH * BigInt(100 + PLAUSIBILITY_MARGIN_PERCENT)) / 100n; // 2 200 000 Wh
    for (const wh of [limit, -limit, 0n]) {
      expect(screenReadings(batch([readingOf(meter27, { energyWh: wh })]), context()).usable, `${wh}`).to.have.length(
        1,
      );
    }
    const over = batch([readingOf(meter27, { energyWh: limit + 1n }), readingOf(meter30, { energyWh: INT64_MIN })]);
    expect(screenReadings(over, context()).bad.size).to.equal(2);
    expect(screenReadings(over, context({ capacityWhOf: undefined })).usable).to.have.length(2);
    const only30 = context({ capacityWhOf: (g) => (g.toLowerCase() === GEN30.toLowerCase() ? 1n : undefined) });
    expect(screenReadings(over, only30).usable.map((r) => r.meter)).to.deep.equal([meter27.address]);
  });

  it("never lets an int64 extreme stop a measurement, even without a capacity", () => {
    const readings = [
      readingOf(meter27, { period: P - 1, timestamp: END - T, energyWh: 1n }),
      readingOf(meter27, { energyWh: INT64_MIN }),
      readingOf(meter30, { period: P - 1, timestamp: END - T, energyWh: -1n }),
      readingOf(meter30, { energyWh: INT64_MAX }),
    ];
    const screened = screenReadings(batch(readings), context({ capacityWhOf: undefined }));
    const measured = measureBoth(screened);
    expect(measured.map((m) => [m.quality, m.deliveredWh])).to.deep.equal([
      ["BAD", 0n],
      ["BAD", 0n],
    ]);
  });

  it("ignores, with the reason, what belongs to no registered meter, to no period, or to a period not yet ended", async () => {
    const rejected: RejectedRecord[] = [
      { origin: "a.json:1", problem: "invalid JSON: expected a value (the whole file is skipped)" },
      { origin: "b.csv:2", problem: "quality is missing", meter: stranger.address, period: P },
      { origin: "b.csv:3", problem: 'period must be a whole number, got "p"', meter: meter27.address },
      { origin: "b.csv:4", problem: "quality is missing", meter: meter27.address, period: P + 1 },
    ];
    const readings = [
      readingOf(stranger, { origin: "c.csv:2" }),
      readingOf(meter30, { period: P + 1, timestamp: END + T, origin: "c.csv:3" }),
      readingOf(meter30, { meter: "meter-30", origin: "simulator" }),
      readingOf(meter27), // usable
    ];
    const screened = screenReadings(batch(readings, rejected), context({ now: END + 60 }));
    expect(screened.bad.size).to.equal(0);
    expect(screened.usable.map((r) => r.origin)).to.deep.equal(["gen27.csv:2"]);
    expect(screened.ignored).to.deep.equal([
      {
        origin: "a.json:1",
        reason: "malformed: invalid JSON: expected a value (the whole file is skipped) (it names no meter)",
      },
      {
        origin: "b.csv:2",
        reason: `malformed: quality is missing (meter ${stranger.address} is not bound to any generator)`,
      },
      {
        origin: "b.csv:3",
        reason: `malformed: period must be a whole number, got "p" (meter ${meter27.address}, but it names no period)`,
      },
      {
        origin: "b.csv:4",
        reason: `malformed: quality is missing (not yet ended: period ${P + 1} ends at ${END + T}, after chain time ${END + 60})`,
      },
      { origin: "c.csv:2", reason: `meter ${stranger.address} is not bound to any generator` },
      { origin: "c.csv:3", reason: `not yet ended: period ${P + 1} ends at ${END + T}, after chain time ${END + 60}` },
      { origin: "simulator", reason: 'meter "meter-30" is not an address' },
    ]);
  });

  it("gives the same result whatever order the sources answered in", async () => {
    const readings = [
      await signed(meter27, GEN27, { origin: "z" }),
      readingOf(meter27, { origin: "a" }),
      await signed(meter30, GEN30),
      readingOf(stranger),
    ];
    const rejected = [{ origin: "q.csv:9", problem: "x", meter: meter30.address, period: P }];
    const one = screenReadings(batch(readings, rejected), context(required));
    const other = screenReadings(batch([...readings].reverse(), rejected), context(required));
    expect([...other.bad]).to.deep.equal([...one.bad]);
    expect(other.ignored).to.deep.equal(one.ignored);
    expect(other.usable).to.deep.equal(one.usable);
  });

  it("refuses a meter map that is not one: a non-address, or two meters for one generator", () => {
    expect(() => screenReadings(batch([]), context({ generatorOf: new Map([["0x12", GEN27]]) }))).to.throw(
      RangeError,
      /meter map: meter "0x12" is not an address/,
    );
    const twoMeters = new Map([
      [meter27.address, GEN27],
      [meter30.address, GEN27.toLowerCase()],
    ]);
    expect(() => screenReadings(batch([]), context({ generatorOf: twoMeters }))).to.throw(
      RangeError,
      `meter map: generator ${getAddress(GEN27)} has two meters (${meter27.address}, ${meter30.address}); the registry binds one`,
    );
  });

  describe("a directory with a quoted CSV field, an extra field, a bad JSON file and a duplicate row", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "gridswap-screen-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("uses every good reading and attributes each problem", async () => {
      const header = "meter,period,energyWh,quality,timestamp,signature";
      const row = async (meter: Wallet, generator: string, period: number, wh: bigint) => {
        const r = await signed(meter, generator, { period, energyWh: wh, timestamp: (period + 1) * T });
        return `${meter.address},${period},${wh},OK,${r.timestamp},${r.signature}`;
      };
      const ok27 = [await row(meter27, GEN27, P - 1, 1_000_000n), await row(meter27, GEN27, P, 1_200_000n)];
      const ok30 = [await row(meter30, GEN30, P - 1, 500_000n), await row(meter30, GEN30, P, 400_000n)];
      writeFileSync(join(dir, "a-good.csv"), `${header}\n${ok27[0]}\n${ok30[0]}\n`);
      const mixed = join(dir, "b-mixed.csv");
      writeFileSync(
        mixed,
        `${header}\n` +
          `${ok30[1]}\n` +
          `${ok30[1]}\n` + // a duplicate row: counts once
          `${ok27[1].replace(meter27.address, `"${meter27.address}"`)}\n` + // a quoted field
          `${await row(meter30, GEN30, P - 2, 1n)},extra\n`, // an extra field
      );
      const badJson = join(dir, "c-bad.json");
      writeFileSync(badJson, `{"readings": [ {"meter": "${meter27.address}", "period": ${P - 3} ]}`);
      const found = await new FileMeterSource({ path: dir, periodSeconds: T }).read();
      const screened = screenReadings(found, context({ ...required, now: END + 60 }));

      expect(screened.usable.map((r) => [r.meter, r.period, r.energyWh])).to.have.deep.members([
        [meter27.address, P - 1, 1_000_000n],
        [meter30.address, P - 1, 500_000n],
        [meter30.address, P, 400_000n],
      ]);
      expect([...screened.bad.values()]).to.have.deep.members([
        {
          meter: meter27.address,
          period: P,
          reasons: [`malformed: quoted fields are not supported (no field needs quotes) (${mixed}:4)`],
        },
        {
          meter: meter30.address,
          period: P - 2,
          reasons: [`malformed: 7 fields, but the header has 6 columns (${mixed}:5)`],
        },
      ]);
      expect(screened.ignored).to.have.length(1);
      expect(screened.ignored[0].origin).to.equal(`${badJson}:1`);
      expect(screened.ignored[0].reason).to.match(
        /^malformed: invalid JSON: .*\(the whole file is skipped\) \(it names no meter\)$/,
      );
    });
  });
});
