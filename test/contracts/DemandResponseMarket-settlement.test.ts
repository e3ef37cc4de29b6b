/**
 * DemandResponseMarket, 2 of 3: the generator's book and its settlement — the graduated rule on
 * the whole commitment, the baseline never more favourable than the nomination, every measurement
 * state.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, BookState, Direction, MeasurementState, Quality } from "../../oracle/chain/enums";
import { signCorrection, signMeterReading } from "../../oracle/chain/typed-data";
import { noProof } from "../../oracle/chain/measurement-tree";
import {
  at,
  BASELINE_WH,
  CAPACITY_W,
  deployMarket,
  FAR,
  fillOffer,
  proofFor,
  settleArgs,
  filledAndMeasured,
  measurement,
  PAPER_USD,
  PAPER_WH,
  paperOffer,
  paperReport,
  sign,
  submitReport,
} from "./fixtures";
import { balances } from "./market-fixtures";

describe("DemandResponseMarket", () => {
  describe("the generator's book", () => {
    it("adds every fill of a period; one direction, one centre, one baseline, one nomination", async () => {
      const f = await loadFixture(deployMarket);
      const p = f.period + 1n;
      await fillOffer(f, paperOffer(f, { amountWh: 1000n, maxFillWh: 1000n }), f.gen27);
      const second = await fillOffer(f, paperOffer(f), f.gen27, 500n);
      expect(second.bookCommittedWh).to.equal(1500n);
      const book = await f.market.bookOf(f.gen27.address, p);
      // The first offer (1,000 Wh) whole, and ⌊25,266,763 · 500 / 2300⌋ of the second.
      expect([book.committedWh, book.usd]).to.deep.equal([1500n, PAPER_USD + 5_492_774n]);
      const refuse = async (offer: ReturnType<typeof paperOffer>, error: string, args: unknown[], nom = BASELINE_WH) =>
        expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 100n, nom))
          .to.be.revertedWithCustomError(f.market, error)
          .withArgs(...args);
      await refuse(paperOffer(f, { direction: Direction.Increase }), "DirectionConflict", [
        f.gen27.address,
        p,
        Direction.Decrease,
      ]);
      await refuse(paperOffer(f, { centre: f.centre2.address }), "CentreConflict", [
        f.gen27.address,
        p,
        f.centre.address,
      ]);
      await refuse(
        paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 5 }),
        "BaselineConflict",
        [f.gen27.address, p, 0, 0],
        0n,
      );
      await refuse(paperOffer(f), "NominationConflict", [f.gen27.address, p, BASELINE_WH, 9_999n], 9_999n);
      // Another wallet at the same node has its own book.
      await fillOffer(f, paperOffer(f, { direction: Direction.Increase }), f.gen27b, 100n, 4_000n);
      expect((await f.market.bookOf(f.gen27b.address, p)).nominatedWh).to.equal(4_000n);
    });

    it("a nomination is 0..capacity × period for a Nominated offer, and 0 for the other methods", async () => {
      const f = await loadFixture(deployMarket);
      const maxWh = (BigInt(CAPACITY_W) * 1800n) / 3600n; // 500 kWh
      const offer = paperOffer(f);
      const sig = await sign(f, offer);
      for (const bad of [-1n, maxWh + 1n]) {
        await expect(f.market.connect(f.gen27).fill(offer, sig, 100n, bad))
          .to.be.revertedWithCustomError(f.market, "InvalidNomination")
          .withArgs(bad, maxWh);
      }
      const rolling = paperOffer(f, { node: 34, baseline: BaselineMethod.RollingAverage, baselineDays: 5 });
      await expect(f.market.connect(f.gen34).fill(rolling, await sign(f, rolling), 100n, 1n))
        .to.be.revertedWithCustomError(f.market, "InvalidNomination")
        .withArgs(1n, 0n);
      await fillOffer(f, offer, f.gen27, 100n, maxWh);
      // The registrar lowers the capacity: later books are bounded by the new one.
      await f.registry.connect(f.registrar).setCapacity(f.gen2.address, 2_000n);
      const at2 = paperOffer(f, { node: 2 });
      await expect(f.market.connect(f.gen2).fill(at2, await sign(f, at2), 100n, 1_001n))
        .to.be.revertedWithCustomError(f.market, "InvalidNomination")
        .withArgs(1_001n, 1_000n);
    });

    it("the ring entry is reused a horizon later once settled; while open, the later period goes apart", async () => {
      const f = await loadFixture(deployMarket);
      const p1 = f.period + 1n;
      // P1's book stays open (never measured); P1 + 48 finds the ring entry busy and goes apart.
      await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n);
      const later = paperOffer(f, { period: p1 + 48n, deadline: FAR, amountWh: 1000n, maxFillWh: 1000n });
      await fillOffer(f, later, f.gen27, 400n);
      // P1 settles meanwhile; the later period's next fill still finds its own book.
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p1, -2300n)]));
      await time.increase(1800n);
      await f.market.settle(...(await settleArgs(f, f.gen27.address, p1)));
      const again = await fillOffer(f, later, f.gen27, 600n);
      expect(again.bookCommittedWh).to.equal(1000n);
      expect((await f.market.bookOf(f.gen27.address, p1)).state).to.equal(BigInt(BookState.Settled));
      const book = await f.market.bookOf(f.gen27.address, p1 + 48n);
      expect([book.state, book.committedWh]).to.deep.equal([BigInt(BookState.Open), 1000n]);
      // Measured and settled from where it is kept.
      await at(f, p1 + 49n, 10n);
      await submitReport(f, paperReport(p1 + 49n, [measurement(f.gen27.address, p1 + 48n, -1000n)]));
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p1 + 48n)))).to.emit(f.market, "Settled");
      // A horizon after that, the ring entry (holding P1, settled) is reused.
      await at(f, p1 + 49n + 10n);
      const third = paperOffer(f, { period: p1 + 96n, deadline: FAR });
      await fillOffer(f, third, f.gen27);
      expect((await f.market.bookOf(f.gen27.address, p1 + 96n)).state).to.equal(BigInt(BookState.Open));
      // P1's closed book is gone from the view once its entry is reused (its events remain).
      expect((await f.market.bookOf(f.gen27.address, p1)).state).to.equal(BigInt(BookState.None));
    });
  });

  describe("settlement: the graduated rule on the whole commitment (A = 2,300 Wh, U = 25,266,763, min 50 %, penalty 50 % rounded up)", () => {
    // Hand-computed, as in docs/contracts.md.
    const table: [string, bigint, bigint, bigint, bigint, bigint, bigint][] = [
      // name, measured (Decrease: −Wh), delivered, paid, penalty, USD to generator, kWh to centre
      ["0 %", 0n, 0n, 0n, 1150n, 0n, 1150n],
      ["30 %", -690n, 690n, 0n, 1150n, 0n, 1150n],
      ["50 %", -1150n, 1150n, 1150n, 575n, 12_633_381n, 1725n],
      ["60 %", -1380n, 1380n, 1380n, 460n, 15_160_057n, 1840n],
      ["61 % (897 Wh short: the penalty 448.5 rounds up)", -1403n, 1403n, 1403n, 449n, 15_412_725n, 1852n],
      ["100 %", -2300n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["130 %", -2990n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["output raised instead", 500n, 0n, 0n, 1150n, 0n, 1150n],
    ];
    for (const [name, measured, delivered, paid, penalty, toGenerator, kwhToCentre] of table) {
      it(`${name}: generator ${toGenerator} (1e-8 USD), centre ${kwhToCentre} Wh`, async () => {
        const f = await loadFixture(deployMarket);
        const p = await filledAndMeasured(f, measured);
        const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
        const expected = [PAPER_WH, measured, delivered, paid, penalty, toGenerator, PAPER_USD - toGenerator, 0n];
        expect(await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, p.period)))).to.deep.equal([
          true,
          expected,
        ]);
        const tx = f.market.connect(f.stranger).settle(...(await settleArgs(f, f.gen27.address, p.period)));
        await expect(tx).to.emit(f.market, "Settled").withArgs(f.gen27.address, p.period, f.centre.address, expected);
        expect(await balances(f, f.gen27)).to.deep.equal({
          usd: g0.usd + toGenerator,
          kwh: g0.kwh + PAPER_WH - kwhToCentre,
        });
        expect(await balances(f, f.centre)).to.deep.equal({
          usd: c0.usd + PAPER_USD - toGenerator,
          kwh: c0.kwh + kwhToCentre,
        });
        expect((await f.market.bookOf(f.gen27.address, p.period)).state).to.equal(BigInt(BookState.Settled));
        await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
          .to.be.revertedWithCustomError(f.market, "NoOpenBook")
          .withArgs(f.gen27.address, p.period);
      });
    }

    it("an Increase commitment is paid for raised output", async () => {
      const f = await loadFixture(deployMarket);
      const p = await filledAndMeasured(f, 1380n, paperOffer(f, { direction: Direction.Increase }));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, p.period, f.centre.address, [
          PAPER_WH,
          1380n,
          1380n,
          1380n,
          460n,
          15_160_057n,
          PAPER_USD - 15_160_057n,
          Quality.Ok,
        ]);
    });

    it("GS-15: the same commitment cut into fills settles exactly as one fill", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      // 43 % delivered: one fill of 2,300 Wh would be paid nothing with a 1,150-Wh penalty.
      await fillOffer(f, offer, f.gen27, 1150n);
      await fillOffer(f, offer, f.gen27, 1150n);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -989n)]));
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, f.period + 1n))))
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, f.period + 1n, f.centre.address, [
          PAPER_WH,
          -989n,
          989n,
          0n,
          1150n,
          0n,
          PAPER_USD,
          Quality.Ok,
        ]);
    });

    it("an Estimated measurement settles and is flagged in the settlement", async () => {
      const f = await loadFixture(deployMarket);
      await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      const m = measurement(f.gen27.address, f.period + 1n, -2300n, { quality: Quality.Estimated });
      await submitReport(f, paperReport(f.period + 2n, [m]));
      await time.increase(1800n);
      const [, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, f.period + 1n)));
      expect(s.quality).to.equal(BigInt(Quality.Estimated));
      expect(s.paidWh).to.equal(PAPER_WH);
    });
  });

  describe("settlement: the baseline is never more favourable than the generator's own nomination", () => {
    // The oracle reports baseline 10,000 Wh and the metered actual; the book holds the nomination.
    const cases: [string, number, bigint, bigint, bigint][] = [
      // name, direction, nominated, actual, credited
      [
        "decrease, nominated lower than the report: its own nomination counts",
        Direction.Decrease,
        9_000n,
        7_700n,
        -1_300n,
      ],
      ["decrease, nominated higher than the report: the report counts", Direction.Decrease, 11_000n, 7_700n, -2_300n],
      ["increase, nominated lower than the report: the report counts", Direction.Increase, 9_000n, 12_300n, 2_300n],
      [
        "increase, nominated higher than the report: its own nomination counts",
        Direction.Increase,
        11_000n,
        12_300n,
        1_300n,
      ],
    ];
    for (const [name, direction, nominated, actual, credited] of cases) {
      it(name, async () => {
        const f = await loadFixture(deployMarket);
        const offer = paperOffer(f, { direction });
        const fill = await fillOffer(f, offer, f.gen27, PAPER_WH, nominated);
        await at(f, f.period + 2n, 10n);
        const m = measurement(f.gen27.address, fill.period, actual - BASELINE_WH);
        await submitReport(f, paperReport(f.period + 2n, [m]));
        await time.increase(1800n);
        const [ready, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, fill.period)));
        expect(ready).to.equal(true);
        expect(s.creditedWh).to.equal(credited);
        const delivered = credited < 0n ? -credited : credited;
        expect(s.deliveredWh).to.equal(delivered > PAPER_WH ? PAPER_WH : delivered);
      });
    }
  });

  describe("settlement: measurement states", () => {
    it("waits for the measurement and for the dispute window (MeasurementNotFinal)", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.None);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, -2300n)]));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.Reported);
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period)))).to.emit(f.market, "Settled");
    });

    it("a dispute holds the settlement; the quorum's correction releases it with the corrected value", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      // The oracle says the generator lowered output by 0.69 kWh (30 %: nothing paid) ...
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, -690n)]));
      // ... its meter says 2.3 kWh: it disputes within the window.
      const reading = {
        meter: f.meter.gen27.address,
        generator: f.gen27.address,
        period: p.period,
        actualWh: BASELINE_WH - 2300n,
        quality: Quality.Ok,
        readAt: (BigInt(p.period) + 1n) * f.periodSeconds + 5n,
      };
      await f.oracle
        .connect(f.gen27)
        .dispute(
          reading,
          await signMeterReading(f.meter.gen27, f.oracleDomain, reading),
          await proofFor(f, f.gen27.address, p.period),
        );
      await time.increase(3 * 1800);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.Disputed);
      const fixed = measurement(f.gen27.address, p.period, -2300n);
      const sigs = await signCorrection([f.o2, f.o3], f.oracleDomain, fixed, ethers.id("meter"), 1n, FAR);
      await f.oracle.correctMeasurement(fixed, ethers.id("meter"), FAR, sigs, noProof(f.gen27.address, p.period));
      const [, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, p.period)));
      expect([s.paidWh, s.usdToGenerator]).to.deep.equal([PAPER_WH, PAPER_USD]);
    });

    it("a final Missing or Bad measurement settles as no delivery (penalty taken); a mismatched baseline is refused", async () => {
      const f = await loadFixture(deployMarket);
      const p = f.period + 1n;
      await fillOffer(f, paperOffer(f), f.gen27);
      await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await fillOffer(f, paperOffer(f, { node: 2 }), f.gen2);
      await fillOffer(f, paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 4 }), f.gen27b);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, p, 0n, { quality: Quality.Missing }),
          measurement(f.gen34.address, p, -2300n, { quality: Quality.Bad }),
          measurement(f.gen2.address, p, -2300n, { baseline: BaselineMethod.MeterBefore }),
          measurement(f.gen27b.address, p, -2300n, { baseline: BaselineMethod.RollingAverage, baselineDays: 5 }),
        ]),
      );
      // Inside the dispute window a Missing or Bad measurement waits for a correction.
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p, f.gen27.address, MeasurementState.Reported);
      await time.increase(1800n);
      // Final: no delivery credited — even the Bad one's 2,300 Wh — so nothing paid and the penalty taken.
      const { penaltyBps } = await f.market.terms();
      const penalty = (PAPER_WH * penaltyBps + 9_999n) / 10_000n;
      for (const [g, quality] of [
        [f.gen27, Quality.Missing],
        [f.gen34, Quality.Bad],
      ] as const) {
        await expect(f.market.settle(...(await settleArgs(f, g.address, p))))
          .to.emit(f.market, "Settled")
          .withArgs(g.address, p, f.centre.address, [PAPER_WH, 0n, 0n, 0n, penalty, 0n, PAPER_USD, quality]);
      }
      await expect(f.market.settle(...(await settleArgs(f, f.gen2.address, p))))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(2, 0, 0, 0);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27b.address, p))))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(1, 5, 1, 4);
      await expect(f.market.settle(...(await settleArgs(f, f.stranger.address, p))))
        .to.be.revertedWithCustomError(f.market, "NoOpenBook")
        .withArgs(f.stranger.address, p);
    });
  });
});
