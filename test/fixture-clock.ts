/**
 * `loadFixture` whose chain clock goes on from the snapshot. Hardhat's network keeps block time
 * as the wall clock plus an offset, and a restored snapshot keeps the offset: a fixture made at
 * the start of `npm test` and loaded again twenty minutes later (after the process and devnet
 * suites) finds its clock twenty minutes on, past the gates its offers were made for. Here the
 * next block follows the snapshot's last one, and later blocks follow from there.
 */
import { loadFixture as hardhatLoadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

export async function loadFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const value = await hardhatLoadFixture(fixture);
  await time.setNextBlockTimestamp((await time.latest()) + 1);
  return value;
}
