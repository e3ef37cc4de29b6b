/**
 * GS-12 (low): the v1 centre agent decided "already published" from the global offer count, so
 * another centre's offer made it skip its own. v2 gives each offer a deterministic identity (its
 * EIP-712 hash, from a nonce derived from its delivery period and unit) and checks that exact
 * offer on the bulletin board: other centres' offers cannot hide it, and its own cannot be posted twice.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { BaselineMethod, Direction } from "../../oracle/chain/enums";
import { signOffer, readDomain } from "../../oracle/chain/typed-data";
import { worldWallet } from "../../oracle/agents/world";
import hre from "hardhat";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-12: another centre's offers never make a centre skip its own", () => {
  it("a second centre posts for the same period first; the first centre still posts its offer, once", async () => {
    let trade = false;
    const w = await testWorld([{ node: 27 }], {
      offersFor: (study) => (trade ? study.offers.filter((o) => o.node === 27) : []),
    });
    const { market } = w.contracts;
    const period = await start(w);
    // The centre reports P (no offers yet).
    const first = await w.centre.step();
    expect(first.posted).to.deep.equal([]);
    // A second centre, granted CENTRE_ROLE by the admin, posts an offer for the same delivery period.
    const other = worldWallet("gs-12", "other-centre", hre.ethers.provider);
    const [funder] = await hre.ethers.getSigners();
    await (await funder.sendTransaction({ to: other.address, value: 10n ** 18n })).wait();
    await (await market.connect(w.accounts.admin).grantRole(await market.CENTRE_ROLE(), other.address)).wait();
    const offer = {
      centre: other.address,
      generator: ZeroAddress,
      node: 2,
      direction: Direction.Increase,
      amountWh: 1000n,
      usd: 100_000_000n,
      period: period + 1,
      justification: period,
      deadline: (period + 1) * w.periodSeconds - 1,
      minFillWh: 1n,
      maxFillWh: 1000n,
      baseline: BaselineMethod.Nominated,
      baselineDays: 0,
      epoch: 0,
      nonce: 1n,
    };
    await (await market.connect(other).post(offer, await signOffer(other, await readDomain(market), offer))).wait();
    // The first centre's step again in the same period: its own offer goes up.
    trade = true;
    const second = await w.centre.step();
    expect(second.posted.map((p) => p.offer.node)).to.deep.equal([27]);
    const mine = await market.queryFilter(market.filters.OfferPosted(undefined, w.accounts.centre.address));
    expect(mine).to.have.length(1);
    // And once only: a third step re-signs the same offer, finds it on the board, sends nothing.
    const third = await w.centre.step();
    expect(third.transactions).to.deep.equal([]);
    expect(await market.queryFilter(market.filters.OfferPosted(undefined, w.accounts.centre.address))).to.have.length(
      1,
    );
  });
});
