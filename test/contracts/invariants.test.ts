/**
 * Model-based property test of the vault and market (fast-check `fc.commands` +
 * `fc.asyncModelRun`) against the Hardhat network, with 60-second periods.
 *
 * A plain TypeScript model tracks wallets, free balances, signed offers (filled Wh, nonces bound
 * to offers, epochs), the generators' books (one per generator and period: direction, centre,
 * nomination, committed Wh and USD), oracle records and the clock. Two wallets share node 27 and
 * are measured independently; commitments are cut into many fills. Each of ≥ 200 random
 * sequences of deposit / withdraw / fill (whole, partial, min(requested, remaining), refused) /
 * cancel (nonce, epoch) / report / dispute / correct / settle / settleMany / unwind / time runs
 * against the chain and the model side by side; every call the model expects to fail must revert
 * with exactly that error. Invariants, after every command:
 *   - solvency: for each token, balanceOf(market) == accounted == Σ free balances + Σ escrows of open books;
 *   - every free balance equals the model's (cumulative escrow, graduated settlement of the whole
 *     commitment, the baseline never more favourable than the nomination);
 * and at the end of every sequence: wallets and total supplies conserved (nothing minted or burnt
 * by the market), every book in the state the model says, none settled twice. A second property
 * cuts one commitment into random fills (of one offer or of several whose USD add up) and settles
 * it against the same delivery as one fill: payment and penalty are the same (GS-15).
 *
 *   FC_SEED=<int>  replay another seed (printed)   FC_RUNS=<int>  sequences (default 200)
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Wallet } from "ethers";
import { BookState, Direction } from "../../oracle/chain/enums";
import { signOffer } from "../../oracle/chain/typed-data";
import { fillPayment } from "../../oracle/chain/units";
import { measurementProof } from "../../oracle/chain/measurement-tree";
import { BASELINE_WH, deployWith, measurement, paperReport, submitReport, type Offer } from "./fixtures";
import {
  SEED,
  RUNS,
  PERIOD,
  GRACE,
  WINDOW,
  PARTIES,
  Party,
  Gen,
  Bal,
  Model,
  Real,
  periodOfT,
  OUTCOMES,
} from "./invariants-model";
import { COMMANDS } from "./invariants-commands";

describe("vault and market: model-based invariants (fast-check)", function () {
  this.timeout(900_000);

  it(`${RUNS} random sequences keep the market solvent and agree with the model`, async () => {
    console.log(`      fast-check seed ${SEED}, ${RUNS} runs (FC_SEED / FC_RUNS override)`);
    const f = await deployWith({
      periodSeconds: 60,
      disputeWindowSeconds: Number(WINDOW),
      settlementGraceSeconds: Number(GRACE),
    });
    const signer: Record<Party, HardhatEthersSigner> = {
      centre: f.centre,
      centre2: f.centre2,
      gen27: f.gen27,
      gen27b: f.gen27b,
      gen34: f.gen34,
    };
    const meter: Record<Gen, Wallet> = { gen27: f.meter.gen27, gen27b: f.meter.gen27b, gen34: f.meter.gen34 };
    const market = await f.market.getAddress();
    for (const p of PARTIES) {
      await f.usd.connect(signer[p]).approve(market, ethers.MaxUint256);
      await f.kwh.connect(signer[p]).approve(market, ethers.MaxUint256);
    }
    const initial = async (fn: (a: string) => Promise<bigint[]>) =>
      Object.fromEntries(await Promise.all(PARTIES.map(async (p) => [p, await fn(signer[p].address)]))) as Record<
        Party,
        bigint[]
      >;
    const wallet0 = await initial(async (a) => [await f.usd.balanceOf(a), await f.kwh.balanceOf(a)]);
    const free0 = await initial(async (a) => [...(await f.market.balancesOf(a))]);
    const supply = [await f.usd.totalSupply(), await f.kwh.totalSupply()];
    const [otherUsd, otherKwh] = await f.market.balancesOf(f.gen2.address);
    const t0 = BigInt(await time.latest()) + 1n;
    const snapshot = await takeSnapshot();

    await fc.assert(
      fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: 40, size: "max" }), async (cmds) => {
        await snapshot.restore();
        const m: Model = {
          next: t0,
          wallet: Object.fromEntries(PARTIES.map((p) => [p, { usd: wallet0[p][0], kwh: wallet0[p][1] }])) as Record<
            Party,
            Bal
          >,
          free: Object.fromEntries(PARTIES.map((p) => [p, { usd: free0[p][0], kwh: free0[p][1] }])) as Record<
            Party,
            Bal
          >,
          epoch: { [f.centre.address]: 0n, [f.centre2.address]: 0n },
          bits: new Map(),
          partials: new Map(),
          offers: [],
          books: new Map(),
          reports: new Map([[f.period - 1n, []]]),
          records: new Map(),
          nonce: 0n,
        };
        const r: Real = { f, others: { usd: otherUsd, kwh: otherKwh }, signer, meter };
        await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
        // End of sequence: wallets and supplies conserved; books as modelled; no double settlement.
        for (const p of PARTIES) {
          expect(
            [await f.usd.balanceOf(signer[p].address), await f.kwh.balanceOf(signer[p].address)],
            `wallet of ${p}`,
          ).to.deep.equal([m.wallet[p].usd, m.wallet[p].kwh]);
        }
        expect([await f.usd.totalSupply(), await f.kwh.totalSupply()], "supplies").to.deep.equal(supply);
        for (const b of m.books.values()) {
          const chain = await f.market.bookOf(signer[b.gen].address, b.period);
          const state = Number(chain.state);
          // A closed book's ring entry may since have been reused (the view then shows None).
          const agrees = state === b.state || (b.state !== BookState.Open && state === BookState.None);
          expect(agrees, `book ${b.gen}:${b.period} is ${state}, model ${b.state}`).to.equal(true);
          if (state === BookState.Open) expect([chain.committedWh, chain.usd]).to.deep.equal([b.committed, b.usd]);
          expect(b.settled).to.be.lessThanOrEqual(1);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const lines = [...OUTCOMES.entries()].sort().map(([k, v]) => `        ${k}: ${v}`);
    console.log(`      outcomes over all runs:\n${lines.join("\n")}`);
  });

  it("GS-15: the same commitment cut into random fills (of one offer or several) settles as one fill", async () => {
    const f = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0 });
    const base = await takeSnapshot();
    let nonce = 0n;
    const offerFor = (period: bigint, amountWh: bigint, usd: bigint, direction: number): Offer => ({
      centre: f.centre.address,
      generator: ethers.ZeroAddress,
      node: 27,
      direction,
      amountWh,
      usd,
      period,
      justification: f.period - 1n,
      deadline: period * PERIOD - 1n,
      minFillWh: 1n,
      maxFillWh: amountWh,
      baseline: 0,
      baselineDays: 0,
      epoch: 0,
      nonce: ++nonce,
    });
    /** Fills `parts` (Wh) — of one offer, or each of its own offer with its share of the USD — and settles. */
    async function settleCut(
      parts: bigint[],
      separate: boolean,
      usd: bigint,
      direction: number,
      delivered: bigint,
    ): Promise<bigint[]> {
      await base.restore();
      const period = periodOfT(BigInt(await time.latest())) + 1n;
      const total = parts.reduce((a, b) => a + b, 0n);
      const one = offerFor(period, total, usd, direction);
      let before = 0n;
      for (const part of parts) {
        // Separate offers price each part with its cumulative share of the USD, so they add up exactly.
        const o = separate ? offerFor(period, part, fillPayment(usd, before, part, total), direction) : one;
        before += part;
        await f.market.connect(f.gen27).fill(o, await signOffer(f.centre, f.marketDomain, o), part, BASELINE_WH);
      }
      await time.increaseTo((period + 1n) * PERIOD);
      const measured = [measurement(f.gen27.address, period, delivered)];
      await submitReport(f, paperReport(period + 1n, measured));
      const proof = measurementProof(period + 1n, measured, f.gen27.address, period)!;
      const s = await f.market.settle.staticCall(f.gen27.address, period, proof);
      await f.market.settle(f.gen27.address, period, proof);
      return [s.paidWh, s.penaltyWh, s.usdToGenerator, s.usdToCentre, ...(await f.market.balancesOf(f.gen27.address))];
    }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 1n, max: 1_500n }), { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        fc.bigInt({ min: 1_000n, max: 10_000_000_000n }),
        fc.boolean(),
        fc.double({ min: -0.2, max: 1.3, noNaN: true }),
        async (parts, separate, usd, increase, share) => {
          const total = parts.reduce((a, b) => a + b, 0n);
          if (
            parts.some(
              (p, i) =>
                fillPayment(
                  usd,
                  parts.slice(0, i).reduce((a, b) => a + b, 0n),
                  p,
                  total,
                ) === 0n,
            )
          )
            return; // a part too small to price is refused (PaymentRoundsToZero): not a cut anyone can make
          const direction = increase ? Direction.Increase : Direction.Decrease;
          const magnitude = BigInt(Math.round(Number(total) * share));
          const delivered = increase ? magnitude : -magnitude;
          const whole = await settleCut([total], false, usd, direction, delivered);
          const cut = await settleCut(parts, separate, usd, direction, delivered);
          expect(cut, `${parts.join("+")} Wh vs ${total} Wh at ${share.toFixed(2)}`).to.deep.equal(whole);
        },
      ),
      { seed: SEED, numRuns: 25 },
    );
  });
});
