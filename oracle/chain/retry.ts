/**
 * Retries with capped exponential backoff for RPC calls: the edge where raw errors from ethers,
 * the node or fetch become typed (`toChainError`). Only transport failures are retried; a revert
 * is an answer, not a failure, and is thrown at once as a RevertError when GridSwap's ABIs decode
 * it. Callers make writes idempotent by re-reading chain state before re-sending, so a retried
 * send never acts twice. After the last attempt the failure is a TransportError whose `cause` is
 * the last one.
 */
import { toChainError, TransportError } from "./errors";

export { isTransient } from "./errors";

export interface RetryOptions {
  /** Attempts in all (default 5); Infinity retries until the transport recovers. */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly log?: (line: string) => void;
  /** Stops waiting between attempts (e.g. on SIGTERM): the last failure is thrown at once. */
  readonly signal?: AbortSignal;
}

export async function withRetry<T>(label: string, fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const e = toChainError(raw);
      if (!(e instanceof TransportError)) throw e;
      const reason = e.message.split("\n")[0];
      if (attempt >= attempts || options.signal?.aborted) {
        throw new TransportError(`${label}: still failing after ${attempt} attempts: ${reason}`, { cause: e });
      }
      const delay = Math.min(max, base * 2 ** Math.min(attempt - 1, 20));
      options.log?.(`${label}: attempt ${attempt} failed (${reason}); retrying in ${delay} ms`);
      await sleep(delay, options.signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
