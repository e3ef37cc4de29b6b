/**
 * Amounts people type (tasks' flags, the dashboard's forms) become token units exactly, or are
 * refused with the problem named — never rounded to something else.
 */
import { expect } from "chai";
import { formatUnits, MAX_KWH_WH, parseDecimalUnits, periodEnergyWh } from "../../../oracle/chain/units";

describe("typed amounts (parseDecimalUnits)", () => {
  it("reads decimals exactly, to the token's precision", () => {
    expect(parseDecimalUnits("13", "kWh", 3, MAX_KWH_WH)).to.equal(13_000n);
    expect(parseDecimalUnits(" 0.001 ", "kWh", 3, MAX_KWH_WH)).to.equal(1n);
    expect(parseDecimalUnits("0.25266763", "USD", 8, 2n ** 128n - 1n)).to.equal(25_266_763n);
    expect(parseDecimalUnits("0", "USD", 8, 10n, true)).to.equal(0n);
    // Scientific notation, exactly: digits × 10^exponent, never through a float.
    expect(parseDecimalUnits("1e3", "USD", 8, 2n ** 128n - 1n)).to.equal(100_000_000_000n);
    expect(parseDecimalUnits("1E3", "kWh", 3, MAX_KWH_WH)).to.equal(1_000_000n);
    expect(parseDecimalUnits("2.5e-2", "kWh", 3, MAX_KWH_WH)).to.equal(25n);
    expect(parseDecimalUnits("1.5e2", "kWh", 3, MAX_KWH_WH)).to.equal(150_000n);
    expect(parseDecimalUnits("0.000000015e7", "USD", 8, 2n ** 128n - 1n)).to.equal(15_000_000n);
    expect(parseDecimalUnits("0e5", "USD", 8, 10n, true)).to.equal(0n);
    expect(formatUnits(25_266_763n, 8)).to.equal("0.25266763");
    expect(formatUnits(-1500n, 3)).to.equal("-1.500");
  });

  const refused: [string, RegExp][] = [
    ["1.0001", /^'1\.0001' has more than 3 decimals \(the precision of kWh\)$/],
    ["0.0004", /^'0\.0004' has more than 3 decimals/],
    ["0", /^'0' must be more than 0 kWh$/],
    ["-5", /^'-5' is not a positive number of kWh$/],
    ["2.5e-3", /^'2\.5e-3' has more than 3 decimals \(the precision of kWh\)$/],
    ["1e400", /^1e400 kWh is more than the contracts can hold/],
    ["1e-400", /^'1e-400' has more than 3 decimals/],
    ["1e", /^'1e' is not a positive number of kWh$/],
    ["0x10", /^'0x10' is not a positive number of kWh$/],
    ["", /^'' is not a positive number of kWh$/],
    ["99999999999999999999999999999", /is more than the contracts can hold \(79228162514264337593543950\.335\)$/],
  ];
  for (const [text, message] of refused) {
    it(`refuses '${text}', naming the problem`, () => {
      expect(() => parseDecimalUnits(text, "kWh", 3, MAX_KWH_WH)).to.throw(RangeError, message);
    });
  }
});

describe("a capacity over a period (periodEnergyWh)", () => {
  it("is W·s / 3600 in Wh, rounded down as the market's nomination check rounds", () => {
    expect(periodEnergyWh(600_000n, 1800)).to.equal(300_000n); // 0.6 MW for 30 min: 300 kWh
    expect(periodEnergyWh(1, 1800)).to.equal(0n); // 0.5 Wh rounds down
    expect(periodEnergyWh(7n, 3600n)).to.equal(7n);
    expect(periodEnergyWh(2n ** 64n - 1n, 1800)).to.equal(((2n ** 64n - 1n) * 1800n) / 3600n);
  });

  it("refuses a period length that is not positive", () => {
    expect(() => periodEnergyWh(1000, 0)).to.throw(RangeError, /period length must be a positive number of seconds/);
  });
});
