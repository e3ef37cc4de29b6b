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
