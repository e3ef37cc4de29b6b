/**
 * Retries with capped exponential backoff for RPC calls. Only transport failures are retried
 * (see `isTransient`); a revert is an answer, not a failure, and is thrown at once. Callers make
 * writes idempotent by re-reading chain state before re-sending, so a retried send never acts
 * twice. After the last attempt the failure is a TransportError whose `cause` is the original.
 */
import { isTransient, TransportError } from "./errors";

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
    } catch (e) {
      if (!isTransient(e)) throw e;
      const reason = firstLine(e);
      if (attempt >= attempts || options.signal?.aborted) {
        throw new TransportError(`${label}: still failing after ${attempt} attempts: ${reason}`, { cause: e });
      }
      const delay = Math.min(max, base * 2 ** Math.min(attempt - 1, 20));
      options.log?.(`${label}: attempt ${attempt} failed (${reason}); retrying in ${delay} ms`);
      await sleep(delay, options.signal);
    }
  }
}

function firstLine(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return String(err?.shortMessage ?? err?.message ?? e).split("\n")[0];
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
