/** Helpers shared by the BidBook tests (split by concern). */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  bidTermsStruct,
  bidTimes,
  sealBid,
  type BidStepData,
  type SealedBidData,
  type SelectedStepData,
} from "../../oracle/chain/bids";
import { bidCommitment, SEALED_BID_TYPES } from "../../oracle/chain/typed-data";
import { deployBids, type BidsFixture } from "./fixtures";

export const P8 = (usdPerMWh: number): bigint => BigInt(Math.round(usdPerMWh * 1e8));
export const step = (quantityWh: number, usdPerMWh: number): BidStepData => ({
  quantityWh: BigInt(quantityWh),
  priceUsdPerMWh: P8(usdPerMWh),
});
export const INPUT = ethers.id("seed34 inputs");

/** The first delivery period still open for bids in the fixture (P + 2). */
export const open = (f: BidsFixture): number => Number(f.period) + 2;
export const times = (f: BidsFixture, period: number) => bidTimes(period, f.bidTerms);

/** A bid of `who` at `node` for `open(f)`: 50 kWh up at 104, 20 + 30 kWh down at 12 and 20 USD/MWh. */
export function sealedOf(
  f: BidsFixture,
  who: HardhatEthersSigner,
  node: number,
  o: Partial<SealedBidData> & { up?: BidStepData[]; down?: BidStepData[]; salt?: string } = {},
): SealedBidData {
  const first = o.firstPeriod ?? open(f);
  return {
    generator: o.generator ?? who.address,
    firstPeriod: first,
    lastPeriod: o.lastPeriod ?? first,
    bid: {
      node,
      up: o.up ?? [step(50_000, 104)],
      down: o.down ?? [step(20_000, 12), step(30_000, 20)],
      salt: o.salt ?? ethers.id(`salt of ${who.address} ${first}`),
    },
  };
}

/** Signs `sealed` with `signer` (default: the generator) and commits it through `relayer` (default: a stranger). */
export async function commit(f: BidsFixture, signer: HardhatEthersSigner, sealed: SealedBidData, relayer = f.stranger) {
  const { commitment, signature } = await sealWith(f, signer, sealed);
  const tx = f.bids
    .connect(relayer)
    .commit(sealed.generator, sealed.firstPeriod, sealed.lastPeriod, commitment, signature);
  return { tx, commitment, signature };
}

/** commit, mined. */
export async function committed(
  f: BidsFixture,
  signer: HardhatEthersSigner,
  sealed: SealedBidData,
  relayer = f.stranger,
) {
  const c = await commit(f, signer, sealed, relayer);
  await (await c.tx).wait();
  return c;
}

/** The signature of `signer` over `sealed` (sealBid refuses another signer, so this signs directly). */
export async function sealWith(f: BidsFixture, signer: HardhatEthersSigner, sealed: SealedBidData) {
  if (signer.address === sealed.generator) return sealBid(signer, f.bidsDomain, sealed);
  const bid = bidTermsStruct(sealed.bid);
  const signature = await signer.signTypedData(f.bidsDomain, SEALED_BID_TYPES, { ...sealed, bid });
  return { commitment: bidCommitment(bid), signature };
}

export const reveal = (f: BidsFixture, sealed: SealedBidData, relayer: HardhatEthersSigner = f.stranger) =>
  f.bids.connect(relayer).reveal(sealed.generator, sealed.firstPeriod, bidTermsStruct(sealed.bid));

/** Mines the next transaction at `t` (Unix s). */
export const nextAt = (t: number) => time.setNextBlockTimestamp(t);

/** Three generators (27, 34, 2) with revealed bids for open(f), the clock at the end of the reveal window. */
export async function revealed() {
  const f = await deployBids();
  const d = open(f);
  const bids = {
    gen27: sealedOf(f, f.gen27, 27),
    gen34: sealedOf(f, f.gen34, 34, { up: [], down: [step(100_000, 38)] }),
    gen2: sealedOf(f, f.gen2, 2, { up: [step(10_000, 106), step(3_000, 120)], down: [] }),
  };
  for (const [name, sealed] of Object.entries(bids)) await committed(f, f[name as keyof typeof bids], sealed);
  await time.increaseTo(times(f, d).bidGate);
  for (const sealed of Object.values(bids)) await reveal(f, sealed);
  // A fourth generator committed but never revealed.
  await time.increaseTo(times(f, d).revealEnd);
  return { ...f, d, sealed: bids };
}

export const selected = (
  generator: string,
  firstPeriod: number,
  direction: number,
  stepIndex: number,
  quantityWh: bigint,
  price: number,
): SelectedStepData => ({ generator, firstPeriod, direction, step: stepIndex, quantityWh, priceUsdPerMWh: P8(price) });

/** Sorted by (generator as a number, direction, step), as the bid book requires. */
export const sorted = (steps: SelectedStepData[]): SelectedStepData[] =>
  [...steps].sort((a, b) =>
    BigInt(a.generator) !== BigInt(b.generator)
      ? BigInt(a.generator) < BigInt(b.generator)
        ? -1
        : 1
      : a.direction - b.direction || a.step - b.step,
  );
