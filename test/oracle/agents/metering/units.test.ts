/**
 * The metering unit conversion: mean MW over a period → Wh, exact on the decimal digits and
 * rounded to the nearest Wh with ties away from zero; periods per day.
 */
import { expect } from "chai";
import { divRound, meanPowerMwToWh, periodsPerDay } from "../../../../oracle/agents/metering/units";

describe("metering units", () => {
  it("convert mean power over a period to energy: MW × s / 3600 × 1e6 Wh", () => {
    expect(meanPowerMwToWh("1", 1800)).to.equal(500_000n); // 1 MW for half an hour
    expect(meanPowerMwToWh(2.3, 1800)).to.equal(1_150_000n);
    expect(meanPowerMwToWh("-12.75", 3600)).to.equal(-12_750_000n);
    expect(meanPowerMwToWh("1.5e-3", 900)).to.equal(375n); // 1.5 kW for 15 minutes
    expect(meanPowerMwToWh("0", 1800)).to.equal(0n);
    expect(meanPowerMwToWh("-0", 1800)).to.equal(0n);
  });

  it("round to the nearest Wh, ties away from zero, from the digits rather than a double", () => {
    expect(meanPowerMwToWh("0.123456789", 1800)).to.equal(61_728n); // 61 728.3945 Wh
    expect(meanPowerMwToWh("0.000001", 1800)).to.equal(1n); // 0.5 Wh
    expect(meanPowerMwToWh("-0.000001", 1800)).to.equal(-1n); // −0.5 Wh
    expect(meanPowerMwToWh("0.000003", 1800)).to.equal(2n); // 1.5 Wh
    expect(meanPowerMwToWh("0.0000009", 1800)).to.equal(0n); // 0.45 Wh
    expect(meanPowerMwToWh(1e-7, 1800)).to.equal(0n); // String(1e-7) = "1e-7": 0.05 Wh
    expect(meanPowerMwToWh(0.1 + 0.2, 1800)).to.equal(150_000n); // 0.30000000000000004 MW
    // 2.0000005 MW × 0.5 h = 1 000 000.25 Wh; 2.000001 MW = 1 000 000.5 Wh → up.
    expect(meanPowerMwToWh("2.0000005", 1800)).to.equal(1_000_000n);
    expect(meanPowerMwToWh("2.000001", 1800)).to.equal(1_000_001n);
  });

  it("refuse what is not a plain decimal or does not fit an int64 of Wh", () => {
    for (const bad of ["abc", "1,5", "", "0x10", "1.", ".5", "1e", "Infinity"]) {
      expect(() => meanPowerMwToWh(bad, 1800), bad).to.throw(RangeError, /power \(MW\) must be a decimal number/);
    }
    expect(() => meanPowerMwToWh(Number.NaN, 1800)).to.throw(RangeError, /must be a finite number, got NaN/);
    expect(() => meanPowerMwToWh(Infinity, 1800)).to.throw(RangeError, /finite/);
    expect(() => meanPowerMwToWh("1e30", 1800)).to.throw(RangeError, /does not fit an int64 of Wh/);
    expect(() => meanPowerMwToWh("1", 0)).to.throw(RangeError, /period length must be a positive whole number/);
    expect(() => meanPowerMwToWh("1", 1.5)).to.throw(RangeError, /period length/);
  });

  it("count periods per day and refuse lengths that do not divide a day", () => {
    expect(periodsPerDay(1800)).to.equal(48);
    expect(periodsPerDay(900)).to.equal(96);
    expect(periodsPerDay(3600)).to.equal(24);
    expect(() => periodsPerDay(7)).to.throw(RangeError, /7 s does not divide a day/);
  });

  it("divide with rounding to nearest, ties away from zero", () => {
    expect(divRound(7n, 2n)).to.equal(4n);
    expect(divRound(-7n, 2n)).to.equal(-4n);
    expect(divRound(5n, 3n)).to.equal(2n);
    expect(divRound(-4n, 3n)).to.equal(-1n);
    expect(divRound(0n, 3n)).to.equal(0n);
    expect(() => divRound(1n, 0n)).to.throw(RangeError);
  });
});
