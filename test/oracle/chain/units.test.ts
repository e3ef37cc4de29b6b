/**
 * Amounts people type (tasks' flags, the dashboard's forms) become token units exactly, or are
 * refused with the problem named — never rounded to something else.
 */
import { expect } from "chai";
import { formatUnits, MAX_KWH_WH, parseDecimalUnits } from "../../../oracle/chain/units";

describe("typed amounts (parseDecimalUnits)", () => {
  it("reads decimals exactly, to the token's precision", () => {
    expect(parseDecimalUnits("13", "kWh", 3, MAX_KWH_WH)).to.equal(13_000n);
    expect(parseDecimalUnits(" 0.001 ", "kWh", 3, MAX_KWH_WH)).to.equal(1n);
    expect(parseDecimalUnits("0.25266763", "USD", 8, 2n ** 128n - 1n)).to.equal(25_266_763n);
    expect(parseDecimalUnits("0", "USD", 8, 10n, true)).to.equal(0n);
    expect(formatUnits(25_266_763n, 8)).to.equal("0.25266763");
    expect(formatUnits(-1500n, 3)).to.equal("-1.500");
  });

  const refused: [string, RegExp][] = [
    ["1.0001", /^'1\.0001' has more than 3 decimals \(the precision of kWh\)$/],
    ["0.0004", /^'0\.0004' has more than 3 decimals/],
    ["0", /^'0' must be more than 0 kWh$/],
    ["-5", /^'-5' is not a positive number of kWh$/],
    ["1e3", /^'1e3' is not a positive number of kWh$/],
    ["", /^'' is not a positive number of kWh$/],
    ["99999999999999999999999999999", /is more than the contracts can hold \(79228162514264337593543950\.335\)$/],
  ];
  for (const [text, message] of refused) {
    it(`refuses '${text}', naming the problem`, () => {
      expect(() => parseDecimalUnits(text, "kWh", 3, MAX_KWH_WH)).to.throw(RangeError, message);
    });
  }
});
