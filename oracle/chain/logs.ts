/**
 * The one way GridSwap reads event logs (issue #23): `getLogs` in pieces of at most
 * `maxBlockRange` blocks — most hosted endpoints refuse wider ranges — from a start block, to the
 * latest block or a given one. Readers that follow the chain keep the last block they read and
 * resume after it (`LogCursor`); one-off lookups name the earliest block that can hold the event
 * (a period's first block, the deployment block).
 */
import type { Provider } from "ethers";
import { ConfigurationError } from "./errors";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../../typechain-types/common";

/** Blocks per getLogs call: public endpoints commonly cap ranges at a few thousand blocks. */
export const DEFAULT_MAX_BLOCK_RANGE = 2_000;

/** [from, to] in pieces of at most `max` blocks. */
export function blockRanges(from: number, to: number, max: number): [number, number][] {
  if (!(max >= 1)) throw new RangeError(`maxBlockRange must be at least 1, got ${max}`);
  const out: [number, number][] = [];
  for (let start = from; start <= to; start += max) out.push([start, Math.min(to, start + max - 1)]);
  return out;
}

/** A typechain contract: its filters' logs, and the provider it reads through. */
export interface LogSource {
  queryFilter<E extends TypedContractEvent>(
    filter: TypedDeferredTopicFilter<E>,
    fromBlock?: number,
    toBlock?: number,
  ): Promise<TypedEventLog<E>[]>;
  readonly runner: { readonly provider: Provider | null } | null;
}

/** The provider a contract reads through; a contract connected to none is a setting to fix. */
export function providerOf(contract: { readonly runner: { readonly provider: Provider | null } | null }): Provider {
  const provider = contract.runner?.provider;
  if (!provider) throw new ConfigurationError("the contract has no provider to read logs through");
  return provider;
}

/** Every log of `filter` in blocks [fromBlock, toBlock] (default: the latest block), in bounded ranges. */
export async function queryLogs<E extends TypedContractEvent>(
  contract: LogSource,
  filter: TypedDeferredTopicFilter<E>,
  fromBlock: number,
  toBlock?: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<TypedEventLog<E>[]> {
  const to = toBlock ?? (await providerOf(contract).getBlockNumber());
  const out: TypedEventLog<E>[] = [];
  for (const [a, b] of blockRanges(Math.max(0, fromBlock), to, maxBlockRange))
    out.push(...(await contract.queryFilter(filter, a, b)));
  return out;
}
