/**
 * Standard load profiles: the BDEW files of ../shared/profiles read as published (every month and
 * day type, 96 quarter-hours, a day's energy in the range the README gives), the day type of a
 * date, quarter-hours summed into periods, and every malformed file refused with file:line.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import {
  columnFor,
  dayTypeOf,
  parseCivilDate,
  parseLoadProfile,
  periodEnergies,
  ProfileFormatError,
  ProfileSelectionError,
  readLoadProfile,
} from "../../../oracle/market/profiles";
import { MONTHS, profileText } from "./profile-fixtures";

const PROFILES = resolve(__dirname, "../../../../shared/profiles");
/** The error `parseLoadProfile` throws for `text` (fails the test when it does not throw). */
function failure(text: string): ProfileFormatError {
  try {
    parseLoadProfile(text, "bad.csv");
  } catch (e) {
    expect(e).to.be.instanceOf(ProfileFormatError);
    return e as ProfileFormatError;
  }
  throw new Error("expected a ProfileFormatError");
}

describe("load profiles (oracle/market/profiles.ts)", function () {
  describe("the BDEW 2025 files", function () {
    before(function () {
      if (!existsSync(PROFILES)) {
        console.log(`      ${PROFILES} not found: BDEW profile checks skipped`);
        this.skip();
      }
    });

    for (const name of ["bdew-h25.csv", "bdew-g25.csv", "bdew-p25.csv"]) {
      it(`${name}: 12 months × 3 day types of 96 quarter-hours, a day between 1,000 and 5,000 kWh (1 GWh a year: 2,740 kWh a day on average)`, () => {
        const p = readLoadProfile(join(PROFILES, name));
        expect(p.columns).to.have.length(36);
        for (let month = 1; month <= 12; month++) {
          for (const dayType of ["WT", "SA", "FT"]) {
            const c = p.columns.find((x) => x.month === month && x.dayType === dayType);
            expect(c, `${month} ${dayType}`).to.not.equal(undefined);
            expect(c!.quarterHourKwh).to.have.length(96);
            const day = c!.quarterHourKwh.reduce((s, x) => s + x, 0);
            expect(day, `${name} ${month} ${dayType}`).to.be.within(1000, 5000);
          }
        }
      });
    }

    it("H25 in June on a working day: the first quarter-hour as published, 48 half-hours with the same total", () => {
      const p = readLoadProfile(join(PROFILES, "bdew-h25.csv"));
      const june = columnFor(p, parseCivilDate("2026-06-15")); // a Monday
      expect(june.month).to.equal(6);
      expect(june.dayType).to.equal("WT");
      expect(june.quarterHourKwh[0]).to.equal(24.566); // row 00:00-00:15, column Juni WT
      const halfHours = periodEnergies(june.quarterHourKwh, 30);
      expect(halfHours).to.have.length(48);
      expect(halfHours[0]).to.be.closeTo(24.566 + 23.272, 1e-9);
      const total = (xs: Float64Array): number => xs.reduce((s, x) => s + x, 0);
      expect(total(halfHours)).to.be.closeTo(total(june.quarterHourKwh), 1e-9);
    });
  });

  it("day types: Monday–Friday WT, Saturday SA, Sunday FT, a listed holiday FT", () => {
    expect(dayTypeOf(parseCivilDate("2026-06-12"))).to.equal("WT"); // Friday
    expect(dayTypeOf(parseCivilDate("2026-06-13"))).to.equal("SA");
    expect(dayTypeOf(parseCivilDate("2026-06-14"))).to.equal("FT");
    expect(dayTypeOf(parseCivilDate("2026-06-15"))).to.equal("WT");
    expect(dayTypeOf(parseCivilDate("2026-12-25"), ["2026-12-25"])).to.equal("FT");
  });

  it("dates: YYYY-MM-DD only, and only dates that exist", () => {
    expect(parseCivilDate("2028-02-29")).to.deep.equal({ year: 2028, month: 2, day: 29 });
    expect(() => parseCivilDate("2026-02-29")).to.throw(RangeError, "2026-02-29 is not a calendar date");
    expect(() => parseCivilDate("2026-13-01")).to.throw(RangeError, "not a calendar date");
    expect(() => parseCivilDate("15.06.2026")).to.throw(RangeError, "YYYY-MM-DD");
  });

  it("quarter-hours into periods of 15, 30, 45, 60 … minutes: divisors of a day, in quarter-hours", () => {
    const q = Float64Array.from({ length: 96 }, (_, k) => k);
    expect(periodEnergies(q, 15)).to.deep.equal(q);
    expect(periodEnergies(q, 60)[1]).to.equal(4 + 5 + 6 + 7);
    expect(() => periodEnergies(q, 20)).to.throw(RangeError, "not 20");
    expect(() => periodEnergies(q, 105)).to.throw(RangeError, "not 105");
  });

  it("a date whose day type the file has no column for: the month and day type are named", () => {
    const workingDaysOnly = parseLoadProfile(
      profileText(MONTHS.map((m) => [m, "WT"] as [string, string])),
      "wt-only.csv",
    );
    expect(columnFor(workingDaysOnly, parseCivilDate("2026-06-15")).dayType).to.equal("WT");
    expect(() => columnFor(workingDaysOnly, parseCivilDate("2026-06-13"))).to.throw(
      ProfileSelectionError,
      "wt-only.csv has no column for 2026-06-13: June Saturdays (SA)",
    );
  });

  it("a well-formed file parses; a missing file is named", () => {
    expect(parseLoadProfile(profileText(), "ok.csv").columns).to.have.length(36);
    expect(() => readLoadProfile("/nonexistent/profile.csv")).to.throw(
      ProfileFormatError,
      "/nonexistent/profile.csv: no such profile file",
    );
  });

  describe("malformed files: the problem with its file and line", function () {
    const lines = profileText().split("\n");
    const edit = (k: number, f: (line: string) => string): string =>
      lines.map((l, i) => (i === k ? f(l) : l)).join("\n");

    it("an unknown month (line 1)", () => {
      expect(failure(edit(0, (l) => l.replace("Juni", "Juno"))).message).to.equal(
        "bad.csv:1: column 17: unknown month 'Juno' (expected Januar … Dezember)",
      );
    });
    it("an unknown day type (line 2)", () => {
      expect(failure(edit(1, (l) => l.replace(",SA,", ",XX,"))).message).to.equal(
        "bad.csv:2: column 2: unknown day type 'XX' (expected WT, SA or FT)",
      );
    });
    it("a unit other than kWh (line 2)", () => {
      expect(failure(edit(1, (l) => l.replace("[kWh]", "[kW]"))).message).to.match(/^bad\.csv:2: .*\[kWh\]/);
    });
    it("a column given twice (line 2)", () => {
      expect(failure(edit(1, (l) => l.replace("SA,FT,WT", "SA,SA,WT"))).message).to.equal(
        "bad.csv:2: column 3: Januar SA appears twice",
      );
    });
    it("a quarter-hour out of order", () => {
      expect(failure(edit(5, (l) => l.replace("00:45-01:00", "00:45-01:15"))).message).to.equal(
        "bad.csv:6: expected the quarter-hour '00:45-01:00', found '00:45-01:15'",
      );
    });
    it("a value that is not an energy", () => {
      expect(failure(edit(10, (l) => l.replace(/,[^,]+$/, ",abc"))).message).to.equal(
        "bad.csv:11: column 37: 'abc' is not an energy in kWh ≥ 0",
      );
      expect(failure(edit(10, (l) => l.replace(/,[^,]+$/, ",-1"))).message).to.match(/^bad\.csv:11: column 37: '-1'/);
    });
    it("a row with a cell missing", () => {
      expect(failure(edit(20, (l) => l.replace(/,[^,]+$/, ""))).message).to.equal(
        "bad.csv:21: expected 37 cells, found 36",
      );
    });
    it("rows missing at the end", () => {
      expect(failure(lines.slice(0, 60).join("\n")).message).to.equal(
        "bad.csv:60: expected 96 quarter-hour rows after the two header rows, found 58",
      );
    });
    it("an empty file", () => {
      expect(failure("").message).to.match(/^bad\.csv: expected two header rows/);
    });
  });
});
