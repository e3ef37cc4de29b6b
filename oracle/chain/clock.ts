/**
 * Chain time. Agents act on the latest block's timestamp, never the local clock, so they agree
 * with the contracts on which period it is. Development chains (Hardhat's network, `hardhat node`,
 * Anvil) can also be moved forward, which the demo, the simulations and tests use.
 */
import type { Provider } from "ethers";
import { TransportError } from "./errors";

/** Timestamp of the latest block, Unix s. */
export async function chainNow(provider: Provider): Promise<number> {
  const block = await provider.getBlock("latest");
  if (!block) throw new TransportError("the node returned no latest block");
  return block.timestamp;
}

/** Anything that speaks raw JSON-RPC (ethers JsonRpcProvider, Hardhat's ethers provider). */
export interface RawRpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Mines a block at `timestamp` on a development chain (evm_setNextBlockTimestamp + evm_mine, as
 * Hardhat and Anvil both implement). Refuses to move time backwards.
 */
export async function advanceDevChain(provider: Provider & RawRpc, timestamp: number): Promise<void> {
  const now = await chainNow(provider);
  if (timestamp < now) throw new RangeError(`cannot move chain time back from ${now} to ${timestamp}`);
  if (timestamp === now) return;
  await provider.send("evm_setNextBlockTimestamp", [timestamp]);
  await provider.send("evm_mine", []);
}

/**
 * The first block at or after `timestamp` (Unix s), searched by bisection from block `low` up to
 * the latest block (which is returned when none is that late). About log2(blocks) reads: a scan of
 * logs "since period P began" then starts where P began, not at the deployment.
 */
export async function firstBlockAtOrAfter(provider: Provider, timestamp: number, low: number): Promise<number> {
  const latest = await provider.getBlock("latest");
  if (!latest) throw new TransportError("the node returned no latest block");
  let lo = Math.max(0, low);
  let hi = latest.number;
  if (latest.timestamp < timestamp) return hi;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const block = await provider.getBlock(mid);
    if (!block) throw new TransportError(`the node returned no block ${mid}`);
    if (block.timestamp >= timestamp) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The block to search from for what happened in or after `period` (Unix time / `periodSeconds`):
 * the block before its first one (the chain's clock may lag by a block), never before `low`. When
 * `low` is within `span` blocks of the head, `low` itself: one getLogs call covers it, cheaper than
 * a bisection.
 */
export async function periodSearchStart(
  provider: Provider,
  period: number,
  periodSeconds: number,
  low: number,
  span = 0,
): Promise<number> {
  if (span > 0 && (await provider.getBlockNumber()) - low <= span) return low;
  return Math.max(low, (await firstBlockAtOrAfter(provider, period * periodSeconds, low)) - 1);
}
