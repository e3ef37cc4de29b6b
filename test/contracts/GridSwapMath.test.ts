/**
 * GridSwapMath (through contracts/test/GridSwapMathHarness.sol) against its TypeScript mirror in
 * oracle/chain/units.ts: fast-check round-trips random values through both and proves they agree
 * — payment and escrow of a fill, credited delivery against a nomination, graduated settlement
 * of a commitment (payments round down, penalties up), period of a timestamp and period start — plus the
 * unit encoders (USD, Wh, USD/MWh) feeding them. FC_SEED overrides the seed (printed).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import {
  creditedDelivery,
  fillPayment,
  kwhToWh,
  paymentDown,
  periodOf,
  periodStart,
  settlement,
  usdPerMWhToUnits,
  usdToUnits,
  unitsToUsd,
  whToKwh,
} from "../../oracle/chain/units";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_251_201;
const RUNS = 150;
const U64 = 2n ** 64n - 1n;
const U128 = 2n ** 128n - 1n;

async function harness() {
  return (await ethers.getContractFactory("GridSwapMathHarness")).deploy();
}

describe("GridSwapMath ↔ oracle/chain/units.ts", () => {
  before(() => console.log(`      fast-check seed ${SEED} (FC_SEED overrides)`));

  it("the paper's trade is exact: 2.3 kWh ↔ 0.25266763 USD", async () => {
    const h = await loadFixture(harness);
    expect(kwhToWh(2.3)).to.equal(2300n);
    expect(usdToUnits(0.25266763)).to.equal(25_266_763n);
    expect(unitsToUsd(25_266_763n)).to.equal(0.25266763);
    expect(whToKwh(2300n)).to.equal(2.3);
    expect(await h.paymentDown(25_266_763n, 2300n, 2300n)).to.equal(25_266_763n);
    expect(usdPerMWhToUnits(-15)).to.equal(-1_500_000_000n);
  });

  it("payment of a fill: ⌊usd · fill / amount⌋, the same on both sides, never above usd", async () => {
    const h = await loadFixture(harness);
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: U128 }),
        fc.bigInt({ min: 1n, max: U64 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (usd, amount, share) => {
          const fill = (amount * BigInt(Math.round(share * 1e6))) / 1_000_000n;
          const ts = paymentDown(usd, fill, amount);
          expect(await h.paymentDown(usd, fill, amount)).to.equal(ts);
          expect(ts <= usd).to.equal(true);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("escrow of fills is cumulative: the fills of an offer escrow exactly its USD, however it is cut", async () => {
    const h = await loadFixture(harness);
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: U128 }),
        fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 1, maxLength: 8 }),
        async (usd, parts) => {
          const amount = parts.reduce((a, b) => a + b, 0n);
          let before = 0n;
          let escrowed = 0n;
          for (const part of parts) {
            const pay = fillPayment(usd, before, part, amount);
            expect(await h.fillPayment(usd, before, part, amount)).to.equal(pay);
            escrowed += pay;
            before += part;
          }
          expect(escrowed).to.equal(usd);
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it("credited delivery: never a baseline more favourable to the generator than its nomination", async () => {
    const h = await loadFixture(harness);
    const int40 = fc.bigInt({ min: -(2n ** 39n), max: 2n ** 39n });
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        int40,
        int40,
        fc.boolean(),
        async (nominated, nominatedWh, actualWh, measuredWh, increase) => {
          const ts = creditedDelivery(nominated, nominatedWh, actualWh, measuredWh, increase);
          expect(await h.creditedDelivery(nominated, nominatedWh, actualWh, measuredWh, increase)).to.equal(ts);
          if (!nominated) expect(ts).to.equal(measuredWh);
          else {
            const ownCredit = actualWh - nominatedWh;
            // The credit is at most what the generator's own nomination gives, and at most the report's.
            if (increase) expect(ts <= ownCredit && ts <= measuredWh).to.equal(true);
            else expect(ts >= ownCredit && ts >= measuredWh).to.equal(true);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("graduated settlement agrees for random commitments, deliveries and terms", async () => {
    const h = await loadFixture(harness);
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: U64 }),
        fc.bigInt({ min: 0n, max: U128 }),
        fc.oneof(int64, fc.bigInt({ min: -5000n, max: 5000n })),
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        async (committedWh, usd, credited, increase, minDeliveredBps, penaltyBps) => {
          const ts = settlement({ committedWh, usd, increase }, credited, { minDeliveredBps, penaltyBps });
          const sol = await h.settle(committedWh, usd, credited, increase, minDeliveredBps, penaltyBps);
          expect([sol.deliveredWh, sol.paidWh, sol.penaltyWh, sol.usdToGenerator]).to.deep.equal([
            ts.deliveredWh,
            ts.paidWh,
            ts.penaltyWh,
            ts.usdToGenerator,
          ]);
          // Conservation: both legs split exactly; the penalty never exceeds the shortfall.
          expect(ts.usdToGenerator + ts.usdToCentre).to.equal(usd);
          expect(ts.kwhToCentre + ts.kwhToGenerator).to.equal(committedWh);
          expect(ts.kwhToGenerator >= 0n).to.equal(true);
          expect(ts.penaltyWh <= committedWh - ts.paidWh).to.equal(true);
          // Rounded against the defaulter: any shortfall with a penalty rate costs at least 1 Wh.
          if (ts.paidWh < committedWh && penaltyBps > 0n) expect(ts.penaltyWh >= 1n).to.equal(true);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("period of a timestamp and period start agree for any period length", async () => {
    const h = await loadFixture(harness);
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
        fc.oneof(fc.constantFrom(60n, 900n, 1800n, 3600n), fc.bigInt({ min: 1n, max: 86_400n })),
        async (t, len) => {
          const p = periodOf(t, len);
          expect(await h.periodOf(t, len)).to.equal(p);
          expect(await h.periodStart(p, len)).to.equal(periodStart(p, len));
          expect(periodStart(p, len) <= t && t < periodStart(p + 1n, len)).to.equal(true);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    await expect(h.periodOf(2n ** 32n, 1n))
      .to.be.revertedWithCustomError(h, "PeriodOverflow")
      .withArgs(2n ** 32n);
  });

  it("the encoders refuse bad input with a clear error", () => {
    expect(() => kwhToWh(Number.NaN)).to.throw(/finite/);
    expect(() => usdToUnits(1e12)).to.throw(/int64/);
    expect(() => periodOf(10, 0)).to.throw(/positive/);
    expect(() => periodOf(-1, 60)).to.throw(/negative/);
    expect(() => paymentDown(1n, 2n, 1n)).to.throw(/outside/);
    expect(() => paymentDown(1n, 0n, 0n)).to.throw(/positive/);
  });
});
