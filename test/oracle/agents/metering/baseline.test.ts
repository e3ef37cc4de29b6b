/**
 * Baselines and delivered energy, hand-computed. The delivery period is Monday 2024-01-15,
 * 10:00–10:30 UTC: UTC day 19 737, slot 20 of 48, period 19 737 · 48 + 20 = 947 396.
 * Its five previous working days reach back past the weekend (13th, 14th) to Monday the 8th.
 */
import { expect } from "chai";
import {
  baselinePeriods,
  measureDeliveries,
  measureDelivery,
  readingPeriods,
  workingDaysBefore,
  type BaselineSpec,
} from "../../../../oracle/agents/metering/baseline";
import type { BadMeterPeriod, MeasuredQuality, MeterReading } from "../../../../oracle/agents/metering/types";
import { INT64_MAX, INT64_MIN, meanPowerMwToWh } from "../../../../oracle/agents/metering/units";

const T = 1800;
const MON_15 = 947_396; // 2024-01-15 10:00 UTC
const FRI_12 = 947_252; // 19 734 · 48 + 20
const THU_11 = 947_204;
const WED_10 = 947_156;
const TUE_09 = 947_108;
const MON_08 = 947_060;
const SAT_13 = 947_300;
const SUN_14 = 947_348;
const FRI_05 = 946_916;
const GEN = "0x00000000000000000000000000000000000000a1";

type Series = Map<number, { energyWh: bigint; quality: MeasuredQuality }>;
const series = (entries: [number, bigint, MeasuredQuality?][]): Series =>
  new Map(entries.map(([p, wh, q]) => [p, { energyWh: wh, quality: q ?? "OK" }]));

// Five working days averaging 1 100 000 Wh; the weekend's 50 000 Wh must not count.
const WEEK: [number, bigint][] = [
  [FRI_12, 1_200_000n],
  [THU_11, 1_000_000n],
  [WED_10, 1_100_000n],
  [TUE_09, 900_000n],
  [MON_08, 1_300_000n],
  [SAT_13, 50_000n],
  [SUN_14, 50_000n],
];
const ROLLING: BaselineSpec = { method: "RollingAverage" };
const measure = (readings: Series, baseline: BaselineSpec = ROLLING, period = MON_15) =>
  measureDelivery({ generator: GEN, period, periodSeconds: T, readings, baseline });

describe("baseline: RollingAverage", () => {
  it("averages the same period of the previous 5 working days, reaching back past the weekend", () => {
    expect(baselinePeriods(ROLLING, MON_15, T)).to.deep.equal([FRI_12, THU_11, WED_10, TUE_09, MON_08]);
    const m = measure(series([...WEEK, [MON_15, 800_000n]]));
    expect(m).to.deep.include({
      generator: GEN,
      period: MON_15,
      method: "RollingAverage",
      baselineDays: 5,
      baselineWh: 1_100_000n, // (1.2 + 1.0 + 1.1 + 0.9 + 1.3) MWh / 5
      actualWh: 800_000n,
      deliveredWh: -300_000n, // output lowered by 300 kWh
      quality: "OK",
    });
    expect(m.baselinePeriods).to.deep.equal([FRI_12, THU_11, WED_10, TUE_09, MON_08]);
    expect(m.notes).to.deep.equal([]);
  });

  it("skips the holidays given and reaches one working day further", () => {
    const spec: BaselineSpec = { method: "RollingAverage", holidays: ["2024-01-10"] };
    expect(baselinePeriods(spec, MON_15, T)).to.deep.equal([FRI_12, THU_11, TUE_09, MON_08, FRI_05]);
    const m = measure(series([...WEEK, [FRI_05, 1_500_000n], [MON_15, 1_180_000n]]), spec);
    expect(m.baselineWh).to.equal(1_180_000n); // (1.2 + 1.0 + 0.9 + 1.3 + 1.5) / 5
    expect(m.deliveredWh).to.equal(0n);
    expect(m.quality).to.equal("OK");
  });

  it("takes 1 to 10 days: ten days from a Monday cross two weekends (and a New Year holiday)", () => {
    const ten: BaselineSpec = { method: "RollingAverage", days: 10 };
    const days = (spec: BaselineSpec) => baselinePeriods(spec, MON_15, T).map((p) => (p - 20) / 48);
    // 12, 11, 10, 9, 8, 5, 4, 3, 2, 1 January 2024 (UTC day numbers).
    expect(days(ten)).to.deep.equal([19734, 19733, 19732, 19731, 19730, 19727, 19726, 19725, 19724, 19723]);
    // With 1 January a holiday, Friday 29 December 2023 (day 19 720) comes in.
    expect(days({ ...ten, holidays: ["2024-01-01"] }).at(-1)).to.equal(19720);
    expect(days({ method: "RollingAverage", days: 1 })).to.deep.equal([19734]);
    expect(measure(series([[MON_15, 1n]]), { method: "RollingAverage", days: 10 }).baselineDays).to.equal(10);
  });

  it("uses the days present when fewer than N have readings, and is ESTIMATED", () => {
    const withoutThursday = WEEK.filter(([p]) => p !== THU_11);
    const m = measure(series([...withoutThursday, [MON_15, 1_000_000n]]));
    expect(m.baselineWh).to.equal(1_125_000n); // (1.2 + 1.1 + 0.9 + 1.3) / 4
    expect(m.deliveredWh).to.equal(-125_000n);
    expect(m.quality).to.equal("ESTIMATED");
    expect(m.baselineDays).to.equal(5);
    expect(m.baselinePeriods).to.deep.equal([FRI_12, WED_10, TUE_09, MON_08]);
    expect(m.notes.join("; ")).to.include(`rolling average over 4 of 5 working days (no reading for ${THU_11})`);
  });

  it("is MISSING with no reading on any of the N days, and then measures nothing", () => {
    const m = measure(
      series([
        [SAT_13, 50_000n],
        [MON_15, 1_000_000n],
      ]),
    );
    expect(m).to.deep.include({ quality: "MISSING", baselineWh: 0n, actualWh: 0n, deliveredWh: 0n, baselineDays: 5 });
    expect(m.notes.join("; ")).to.match(/no reading in the same period of the 5 working days before/);
  });

  it("rounds the average to the nearest Wh, ties away from zero", () => {
    const two: BaselineSpec = { method: "RollingAverage", days: 2 };
    expect(
      measure(
        series([
          [FRI_12, 1000n],
          [THU_11, 1001n],
          [MON_15, 0n],
        ]),
        two,
      ).baselineWh,
    ).to.equal(1001n);
    expect(
      measure(
        series([
          [FRI_12, -1000n],
          [THU_11, -1001n],
          [MON_15, 0n],
        ]),
        two,
      ).baselineWh,
    ).to.equal(-1001n);
    expect(
      measure(
        series([
          [FRI_12, 1000n],
          [THU_11, 1000n],
          [WED_10, 1001n],
          [MON_15, 0n],
        ]),
        { ...two, days: 3 },
      ).baselineWh,
    ).to.equal(1000n);
  });

  it("compares a Saturday with the previous working days too", () => {
    // Saturday 13th, 10:00: Friday 12th back to Monday 8th.
    expect(baselinePeriods(ROLLING, SAT_13, T)).to.deep.equal([FRI_12, THU_11, WED_10, TUE_09, MON_08]);
  });

  it("finds the period of the day from the period length (15-minute periods)", () => {
    // 2024-01-15 10:00 UTC with 900 s periods: 19 737 · 96 + 40; Friday 12th is 19 734 · 96 + 40.
    const periods = baselinePeriods(ROLLING, 19_737 * 96 + 40, 900);
    expect(periods).to.deep.equal([19734, 19733, 19732, 19731, 19730].map((d) => d * 96 + 40));
    expect(() => baselinePeriods(ROLLING, 100, 7)).to.throw(RangeError, /does not divide a day/);
  });

  it("refuses bad parameters", () => {
    expect(() => baselinePeriods({ method: "RollingAverage", days: 0 }, MON_15, T)).to.throw(
      RangeError,
      /1 to 10 working days, got 0/,
    );
    expect(() => baselinePeriods({ method: "RollingAverage", days: 11 }, MON_15, T)).to.throw(RangeError, /got 11/);
    expect(() => baselinePeriods({ method: "RollingAverage", days: 2.5 }, MON_15, T)).to.throw(RangeError, /got 2.5/);
    expect(() => baselinePeriods({ method: "RollingAverage", holidays: ["2024-02-30"] }, MON_15, T)).to.throw(
      RangeError,
      /holiday "2024-02-30" is not a date/,
    );
    expect(() => baselinePeriods({ method: "RollingAverage", holidays: ["15/01/2024"] }, MON_15, T)).to.throw(
      RangeError,
    );
    expect(() => baselinePeriods(ROLLING, -1, T)).to.throw(RangeError, /period must be a whole number/);
  });
});

describe("baseline: MeterBefore", () => {
  const BEFORE: BaselineSpec = { method: "MeterBefore" };

  it("takes the reading of the period just before delivery", () => {
    expect(readingPeriods(BEFORE, MON_15, T)).to.deep.equal([MON_15, MON_15 - 1]);
    const m = measure(
      series([
        [MON_15 - 1, 1_000_000n],
        [MON_15, 1_250_000n],
      ]),
      BEFORE,
    );
    expect(m).to.deep.include({
      method: "MeterBefore",
      baselineDays: 0,
      baselineWh: 1_000_000n,
      actualWh: 1_250_000n,
      deliveredWh: 250_000n, // output raised by 250 kWh
      quality: "OK",
    });
    expect(m.baselinePeriods).to.deep.equal([MON_15 - 1]);
  });

  it("reaches back over midnight: Monday 00:00 uses Sunday 23:30", () => {
    const midnight = 19_737 * 48;
    expect(baselinePeriods(BEFORE, midnight, T)).to.deep.equal([19_736 * 48 + 47]);
  });

  it("is MISSING without the previous reading, and takes the previous reading's quality", () => {
    const missing = measure(series([[MON_15, 1_250_000n]]), BEFORE);
    expect(missing).to.deep.include({ quality: "MISSING", baselineWh: 0n, actualWh: 0n, deliveredWh: 0n });
    expect(missing.notes).to.deep.equal([`no reading for period ${MON_15 - 1} (before)`]);
    expect(measure(series([[0, 5n]]), BEFORE, 0).quality).to.equal("MISSING"); // nothing before period 0
    const estimated = measure(
      series([
        [MON_15 - 1, 1_000_000n, "ESTIMATED"],
        [MON_15, 900_000n],
      ]),
      BEFORE,
    );
    expect(estimated).to.deep.include({ quality: "ESTIMATED", deliveredWh: -100_000n });
    expect(estimated.notes).to.deep.equal([`baseline reading for period ${MON_15 - 1} is ESTIMATED`]);
  });
});

describe("baseline: Nominated", () => {
  it("takes the generator's own nomination (its book's), converted from MW once", () => {
    // The generator planned 2.3 MW: 2.3 MW × 0.5 h = 1 150 000 Wh.
    const spec: BaselineSpec = { method: "Nominated", nominatedWh: meanPowerMwToWh(2.3, T) };
    expect(readingPeriods(spec, MON_15, T)).to.deep.equal([MON_15]);
    const m = measure(series([[MON_15, 1_000_000n]]), spec);
    expect(m).to.deep.include({
      method: "Nominated",
      baselineDays: 0,
      baselineWh: 1_150_000n,
      actualWh: 1_000_000n,
      deliveredWh: -150_000n,
      quality: "OK",
    });
  });

  it("is MISSING without a nomination", () => {
    const spec: BaselineSpec = { method: "Nominated", nominatedWh: undefined };
    const m = measure(series([[MON_15, 1_000_000n]]), spec);
    expect(m).to.deep.include({ quality: "MISSING", deliveredWh: 0n });
    expect(m.notes).to.deep.equal([`no nomination for period ${MON_15}`]);
  });

  it("is bounded by the metered history: within ± the tolerance of the reading before", () => {
    // Metered 1,000 kWh in the period before; tolerance 100 kWh.
    const history = (nominatedWh: bigint) => ({ method: "Nominated" as const, nominatedWh, toleranceWh: 100_000n });
    expect(readingPeriods(history(1n), MON_15, T)).to.deep.equal([MON_15, MON_15 - 1]);
    const readings = series([
      [MON_15 - 1, 1_000_000n],
      [MON_15, 1_200_000n],
    ]);
    // An honest nomination inside the band is the baseline.
    expect(measure(readings, history(1_050_000n))).to.deep.include({ baselineWh: 1_050_000n, deliveredWh: 150_000n });
    // Nominating 0 to be paid for normal output: the baseline is held at 900 kWh.
    const low = measure(readings, history(0n));
    expect(low).to.deep.include({ baselineWh: 900_000n, deliveredWh: 300_000n, quality: "OK" });
    expect(low.notes[0]).to.match(/nomination 0 Wh is more than 100000 Wh from the 1000000 Wh metered/);
    // Nominating high to be paid for a decrease that did not happen: held at 1,100 kWh.
    expect(measure(readings, history(5_000_000n))).to.deep.include({ baselineWh: 1_100_000n });
    // Without a reading before, the nomination stands, with a note.
    const unchecked = measure(series([[MON_15, 1_200_000n]]), history(0n));
    expect(unchecked).to.deep.include({ baselineWh: 0n, quality: "OK" });
    expect(unchecked.notes).to.deep.equal([
      `nomination 0 Wh not checked: no reading for period ${MON_15 - 1} (before)`,
    ]);
  });
});

describe("baseline: quality of a measurement", () => {
  const nominated: BaselineSpec = { method: "Nominated", nominatedWh: 1_000_000n };

  it("is the actual reading's quality against a clean baseline (OK, ESTIMATED, BAD)", () => {
    for (const q of ["OK", "ESTIMATED", "BAD"] as const) {
      const m = measure(series([[MON_15, 1_200_000n, q]]), nominated);
      expect(m.quality, q).to.equal(q);
      expect(m.deliveredWh, q).to.equal(200_000n); // values are kept; the quality says how far to trust them
    }
    expect(measure(series([[MON_15, 1n, "BAD"]]), nominated).notes).to.deep.equal([
      `reading for period ${MON_15} is BAD`,
    ]);
  });

  it("is MISSING without the actual reading, and then measures nothing", () => {
    const m = measure(series(WEEK));
    expect(m).to.deep.include({ quality: "MISSING", baselineWh: 0n, actualWh: 0n, deliveredWh: 0n });
    expect(m.notes).to.deep.equal([`no reading for period ${MON_15}`]);
  });

  it("is the worst of the inputs: BAD > MISSING > ESTIMATED > OK", () => {
    const week = (q: MeasuredQuality): [number, bigint, MeasuredQuality][] =>
      WEEK.map(([p, wh]) => [p, wh, p === WED_10 ? q : "OK"]);
    // One BAD day in the rolling window makes the baseline BAD; its value still counts.
    const bad = measure(series([...week("BAD"), [MON_15, 800_000n, "ESTIMATED"]]));
    expect(bad).to.deep.include({ quality: "BAD", baselineWh: 1_100_000n, deliveredWh: -300_000n });
    // ESTIMATED day + OK actual → ESTIMATED.
    expect(measure(series([...week("ESTIMATED"), [MON_15, 800_000n]])).quality).to.equal("ESTIMATED");
    // A BAD baseline outranks a missing actual reading (nothing is measured either way).
    expect(measure(series(week("BAD")))).to.deep.include({ quality: "BAD", deliveredWh: 0n, actualWh: 0n });
    // A short window (ESTIMATED) with a BAD actual → BAD.
    const short = WEEK.filter(([p]) => p !== TUE_09);
    expect(measure(series([...short, [MON_15, 1n, "BAD"]])).quality).to.equal("BAD");
    // A short window with an ESTIMATED actual stays ESTIMATED.
    expect(measure(series([...short, [MON_15, 1n, "ESTIMATED"]])).quality).to.equal("ESTIMATED");
  });
});

describe("baseline: a reading set → measurements", () => {
  const METER_A = "0x00000000000000000000000000000000000000Aa";
  const METER_B = "0x00000000000000000000000000000000000000bB";
  const GEN_A = "0x0000000000000000000000000000000000000A01";
  const GEN_B = "0x0000000000000000000000000000000000000b02";
  const reading = (meter: string, period: number, energyWh: bigint, origin = "test"): MeterReading => ({
    meter,
    period,
    energyWh,
    quality: "OK",
    timestamp: (period + 1) * T,
    origin,
  });
  const generatorOf = new Map([
    [METER_A, GEN_A],
    [METER_B, GEN_B],
  ]);

  it("measures each generator on the readings of its own meter", () => {
    const readings = [
      reading(METER_A, MON_15 - 1, 1_000_000n),
      reading(METER_A, MON_15, 1_100_000n),
      reading(METER_B.toLowerCase(), MON_15 - 1, 400_000n), // addresses compare case-insensitively
      reading(METER_B, MON_15, 300_000n),
      reading("0x00000000000000000000000000000000000000cc", MON_15, 9n), // not bound: not used
    ];
    const out = measureDeliveries({
      readings,
      generatorOf,
      periodSeconds: T,
      deliveries: [
        { generator: GEN_A, period: MON_15, baseline: { method: "MeterBefore" } },
        { generator: GEN_B, period: MON_15, baseline: { method: "MeterBefore" } },
        {
          generator: "0x0000000000000000000000000000000000000c03",
          period: MON_15,
          baseline: { method: "MeterBefore" },
        },
      ],
    });
    expect(out.map((m) => [m.generator, m.deliveredWh, m.quality])).to.deep.equal([
      [GEN_A, 100_000n, "OK"],
      [GEN_B, -100_000n, "OK"],
      ["0x0000000000000000000000000000000000000c03", 0n, "MISSING"],
    ]);
    expect(out[2].notes[0]).to.equal("generator 0x0000000000000000000000000000000000000c03 has no meter bound");
  });

  const bad = (meter: string, period: number, ...reasons: string[]): Map<string, BadMeterPeriod> =>
    new Map([[`${meter.toLowerCase()}:${period}`, { meter, period, reasons }]]);
  const before = { method: "MeterBefore" } as const;

  it("measures a delivery in a bad meter-period BAD with nothing measured, its reasons as notes; others as usual", () => {
    const readings = [
      reading(METER_A, MON_15 - 1, 1_000_000n),
      reading(METER_B, MON_15 - 1, 400_000n),
      reading(METER_B, MON_15, 300_000n),
    ];
    const out = measureDeliveries({
      readings,
      bad: bad(METER_A, MON_15, "unsigned (a.csv:3)", "early: read at 1, before the period ended at 2 (a.csv:3)"),
      generatorOf,
      periodSeconds: T,
      deliveries: [
        { generator: GEN_A, period: MON_15, baseline: before },
        { generator: GEN_B, period: MON_15, baseline: before },
        { generator: GEN_A, period: MON_15, baseline: ROLLING },
      ],
    });
    expect(out[0]).to.deep.equal({
      generator: GEN_A,
      period: MON_15,
      method: "MeterBefore",
      baselineDays: 0,
      baselineWh: 0n,
      actualWh: 0n,
      deliveredWh: 0n,
      quality: "BAD",
      baselinePeriods: [],
      notes: ["unsigned (a.csv:3)", "early: read at 1, before the period ended at 2 (a.csv:3)"],
    });
    expect(out[1]).to.deep.include({ quality: "OK", deliveredWh: -100_000n, notes: [] });
    expect(out[2]).to.deep.include({ quality: "BAD", method: "RollingAverage", baselineDays: 5, deliveredWh: 0n });
  });

  it("counts a bad baseline reading as absent, with a note", () => {
    const measureWith = (baseline: BaselineSpec, badPeriod: number, extra: MeterReading[] = []) =>
      measureDeliveries({
        readings: [reading(METER_A, MON_15 - 1, 1_000_000n), reading(METER_A, MON_15, 1_100_000n), ...extra],
        bad: bad(METER_A, badPeriod, "malformed: quality is missing (a.csv:7)"),
        generatorOf,
        periodSeconds: T,
        deliveries: [{ generator: GEN_A, period: MON_15, baseline }],
      })[0];
    const note = `baseline reading for period ${MON_15 - 1} is bad, counted as absent: malformed: quality is missing (a.csv:7)`;
    // MeterBefore: no reading before → MISSING.
    expect(measureWith(before, MON_15 - 1)).to.deep.include({ quality: "MISSING", deliveredWh: 0n });
    expect(measureWith(before, MON_15 - 1).notes).to.include(note);
    // Nominated: the nomination stands unchecked, as without a reading before.
    const nominated = measureWith({ method: "Nominated", nominatedWh: 0n, toleranceWh: 10n }, MON_15 - 1);
    expect(nominated).to.deep.include({ quality: "OK", baselineWh: 0n, deliveredWh: 1_100_000n });
    expect(nominated.notes).to.deep.equal([
      note,
      `nomination 0 Wh not checked: no reading for period ${MON_15 - 1} (before)`,
    ]);
    // RollingAverage: one bad day of five → the mean of four, ESTIMATED.
    const week = WEEK.map(([p, wh]) => reading(METER_A, p, wh));
    const rolling = measureWith(ROLLING, THU_11, week);
    expect(rolling).to.deep.include({ quality: "ESTIMATED", baselineWh: 1_125_000n, deliveredWh: -25_000n });
    expect(rolling.notes[0]).to.match(new RegExp(`^baseline reading for period ${THU_11} is bad, counted as absent`));
    // A bad period outside the baseline changes nothing.
    expect(measureWith(before, MON_15 - 7)).to.deep.include({ quality: "OK", deliveredWh: 100_000n, notes: [] });
  });

  it("takes identical copies of a reading once, and makes different readings of one meter-period BAD (no throw)", () => {
    const deliveries = [
      { generator: GEN_A, period: MON_15, baseline: before },
      { generator: GEN_B, period: MON_15, baseline: before },
    ];
    const readings = [
      reading(METER_A, MON_15 - 1, 1_000_000n, "a.csv:2"),
      reading(METER_A, MON_15, 1_100_000n, "a.csv:3"),
      reading(METER_A, MON_15, 1_100_000n, "http://hub readings[0]"), // the same reading again
      reading(METER_B, MON_15 - 1, 1n, "b.csv:2"),
      reading(METER_B, MON_15, 2n, "b.csv:3"),
      reading(METER_B, MON_15, 3n, "http://hub readings[1]"), // a different one
    ];
    const [a, b] = measureDeliveries({ readings, generatorOf, periodSeconds: T, deliveries });
    expect(a).to.deep.include({ quality: "OK", deliveredWh: 100_000n });
    expect(b).to.deep.include({ quality: "BAD", deliveredWh: 0n, actualWh: 0n });
    expect(b.notes).to.deep.equal([
      `two different readings: 2 Wh, OK, read at ${(MON_15 + 1) * T}, unsigned (b.csv:3) and ` +
        `3 Wh, OK, read at ${(MON_15 + 1) * T}, unsigned (http://hub readings[1])`,
    ]);
  });

  it("measures BAD, with nothing measured, a delivery that does not fit the chain's int64", () => {
    const deliveries = [{ generator: GEN_A, period: MON_15, baseline: before }];
    for (const [beforeWh, actualWh] of [
      [1n, INT64_MIN],
      [-1n, INT64_MAX],
    ]) {
      const [m] = measureDeliveries({
        readings: [reading(METER_A, MON_15 - 1, beforeWh), reading(METER_A, MON_15, actualWh)],
        generatorOf,
        periodSeconds: T,
        deliveries,
      });
      expect(m).to.deep.include({ quality: "BAD", actualWh: 0n, baselineWh: 0n, deliveredWh: 0n });
      expect(m.notes[0]).to.equal(
        `delivered ${actualWh - beforeWh} Wh (${actualWh} − ${beforeWh}) does not fit an int64`,
      );
    }
  });

  it("refuses a meter map that binds two meters to one generator (the registry binds one)", () => {
    const ambiguous = new Map([...generatorOf, ["0x00000000000000000000000000000000000000cc", GEN_A]]);
    const deliveries = [{ generator: GEN_A, period: MON_15, baseline: before }];
    expect(() => measureDeliveries({ readings: [], generatorOf: ambiguous, periodSeconds: T, deliveries })).to.throw(
      RangeError,
      /meter map: generator 0x0000000000000000000000000000000000000A01 has two meters/,
    );
  });

  it("lists working days before a day, and stops at the start of the calendar", () => {
    expect(workingDaysBefore(19_737, 2)).to.deep.equal([19_734, 19_733]);
    expect(workingDaysBefore(3, 5)).to.deep.equal([1, 0]); // 1970-01-02 (Fri), 1970-01-01 (Thu)
  });
});
