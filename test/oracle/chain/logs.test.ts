/**
 * The one log reader (oracle/chain/logs.ts): every range it asks a node for is at most
 * maxBlockRange blocks, together they cover [from, to] once, in order; and a search for what
 * happened in a period starts where the period began (bisection), or at the low block when one
 * call covers the rest of the chain anyway.
 */
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../../../typechain-types/common";
import { periodSearchStart } from "../../../oracle/chain/clock";
import { blockRanges, queryLogs, type LogSource } from "../../../oracle/chain/logs";
import { ConfigurationError } from "../../../oracle/chain/errors";

/** A contract whose node answers ranges of up to `limit` blocks with one log per block. */
function fakeSource(latest: number, limit: number): LogSource & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    runner: { provider: { getBlockNumber: async () => latest } as never },
    async queryFilter<E extends TypedContractEvent>(
      _filter: TypedDeferredTopicFilter<E>,
      from?: number,
      to?: number,
    ): Promise<TypedEventLog<E>[]> {
      const a = from as number;
      const b = to as number;
      if (b - a + 1 > limit) throw new Error(`range of ${b - a + 1} blocks is over the node's limit of ${limit}`);
      calls.push([a, b]);
      return Array.from({ length: b - a + 1 }, (_, i) => ({ blockNumber: a + i }) as TypedEventLog<E>);
    },
  };
}

describe("chain: the log reader", function () {
  it("reads [from, latest] in ranges within the node's limit, each block once, in order (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        async (from, span, limit) => {
          const source = fakeSource(from + span, limit);
          const logs = await queryLogs(source, {} as never, from, undefined, limit);
          expect(logs.map((l) => l.blockNumber)).to.deep.equal(Array.from({ length: span + 1 }, (_, i) => from + i));
          expect(source.calls.every(([a, b]) => b - a + 1 <= limit)).to.equal(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("names a bad range size and a contract with no provider", async function () {
    expect(() => blockRanges(0, 10, 0)).to.throw(RangeError, /maxBlockRange must be at least 1, got 0/);
    const orphan = { ...fakeSource(10, 10), runner: null };
    await queryLogs(orphan, {} as never, 0).then(
      () => expect.fail("should refuse"),
      (e) =>
        expect(e)
          .to.be.instanceOf(ConfigurationError)
          .and.to.have.property("message")
          .that.match(/no provider/),
    );
  });

  it("starts a period's search where the period began, or at the low block when one call covers the rest", async function () {
    const provider = hre.ethers.provider;
    const T = 1800;
    const t0 = Math.ceil(((await provider.getBlock("latest"))!.timestamp + 10) / T) * T;
    const low = await provider.getBlockNumber();
    for (let k = 0; k < 6; k++) await provider.send("evm_mine", [t0 + k * 600]); // 3 blocks a period
    const period = t0 / T + 1; // its first block is the 4th mined (t0 + 1800)
    expect(await periodSearchStart(provider, period, T, low)).to.equal(low + 3);
    expect(await periodSearchStart(provider, period, T, low, 2_000)).to.equal(low);
  });
});
