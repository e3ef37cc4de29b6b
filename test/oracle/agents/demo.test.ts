/**
 * The chain layer and the end-to-end demo on Hardhat's in-process network: unit conversions,
 * the generator's policy, and the paper's cycle in its three scenarios.
 */
import { expect } from "chai";
import { decide, type DecodedOffer, type GeneratorPolicy } from "../../../oracle/chain/generator";
import { kwhToWh, mwToWatts, periodOf, unitsToUsd, usdPerMWhToUnits, usdToUnits } from "../../../oracle/chain/units";
import { runDemo } from "../../../scripts/demo";

describe("chain units", () => {
  it("convert the grid core's units to the contracts' fixed point in one place", () => {
    expect(mwToWatts(-0.7706256)).to.equal(-770626n);
    expect(kwhToWh(10.372)).to.equal(10372n);
    expect(usdToUnits(0.25266763)).to.equal(25266763n); // the paper's amount, exactly
    expect(usdToUnits(0.155583975)).to.equal(15558397n); // payments round down
    expect(usdPerMWhToUnits(-15)).to.equal(-1500000000n);
    expect(unitsToUsd(25266763n)).to.equal(0.25266763);
    expect(periodOf(1800 * 5 + 1799)).to.equal(5);
  });

  it("refuse values a contract field cannot hold", () => {
    expect(() => mwToWatts(Number.NaN)).to.throw(RangeError, /power \(MW\) must be a finite number/);
    expect(() => kwhToWh(1e20)).to.throw(RangeError, /does not fit the contract's int64/);
  });
});

describe("generator policy", () => {
  const policy: GeneratorPolicy = {
    address: "0x00000000000000000000000000000000000000aa",
    node: 27,
    costUsdPerKwh: 0.01,
    marginUsdPerKwh: 0.002,
    capacityKwh: 20,
  };
  const offer: DecodedOffer = {
    id: 1n,
    centre: "0x00000000000000000000000000000000000000cc",
    reservedFor: "0x0000000000000000000000000000000000000000",
    node: 27,
    direction: "decrease",
    kwh: 10,
    usd: 0.15,
    period: 1,
    justification: 1,
    expiry: 1000,
  };
  it("accepts a fair offer for its node and says why", () => {
    expect(decide(policy, offer, 999)).to.deep.equal({
      accept: true,
      reason: "pays 0.015000 USD/kWh ≥ cost 0.01 + margin 0.002",
    });
  });
  for (const [what, changed, now, reason] of [
    ["an expired offer", {}, 1001, /expired at 1000/],
    ["another node's offer", { node: 34 }, 0, /for node 34, I am at node 27/],
    [
      "an offer reserved for another wallet",
      { reservedFor: "0x00000000000000000000000000000000000000bb" },
      0,
      /reserved for/,
    ],
    ["an offer above its capacity", { kwh: 30, usd: 1 }, 0, /exceeds my capacity of 20 kWh/],
    ["an under-priced offer", { usd: 0.1 }, 0, /pays 0.010000 USD\/kWh, below my cost/],
  ] as const) {
    it(`rejects ${what}`, () => {
      const d = decide(policy, { ...offer, ...changed }, now);
      expect(d.accept).to.equal(false);
      expect(d.reason).to.match(reason);
    });
  }
});

describe("npm run demo (in-process network)", function () {
  const quiet = { log: () => undefined };

  it("replays the paper: Table I violations, offer accepted, period 2 clean, atomic settlement", async () => {
    const s = await runDemo({ ...quiet, scenario: "accept" });
    expect(s.violationsBefore).to.equal(3);
    expect(s.violationsAfter).to.equal(0);
    expect(s.accepted).to.equal(true);
    expect(s.settled).to.equal(true);
    expect(s.changes.generatorUsd).to.equal(s.offer.usd);
    expect(s.changes.centreUsd).to.equal(-s.offer.usd);
    expect(s.changes.centreKwh).to.equal(s.offer.kwh);
    expect(s.changes.generatorKwh).to.equal(-s.offer.kwh);
  });

  it("--paper publishes exactly 2.3 kWh for 0.25266763 USD", async () => {
    const s = await runDemo({ ...quiet, paper: true });
    expect(s.offer).to.deep.equal({ kwh: 2.3, usd: 0.25266763 });
    expect(s.changes.generatorUsd).to.equal(0.25266763);
  });

  it("a generator rejects an under-priced offer and the centre gets its USD back", async () => {
    const s = await runDemo({ ...quiet, scenario: "reject" });
    expect(s.accepted).to.equal(false);
    expect(s.reason).to.match(/below my cost/);
    expect(s.changes).to.deep.equal({ centreUsd: 0, centreKwh: 0, generatorUsd: 0, generatorKwh: 0 });
  });

  it("non-delivery: USD returns to the centre and the kWh commitment is forfeited", async () => {
    const s = await runDemo({ ...quiet, scenario: "nondelivery" });
    expect(s.settled).to.equal(true);
    expect(s.changes.generatorUsd).to.equal(0);
    expect(s.changes.centreUsd).to.equal(0);
    expect(s.changes.centreKwh).to.equal(s.offer.kwh);
    expect(s.violationsAfter).to.equal(3);
  });
});
