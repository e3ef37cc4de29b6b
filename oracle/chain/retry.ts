/**
 * Bounded retries with exponential backoff for RPC calls. Only transport failures are retried;
 * a revert is an answer, not a failure, and is thrown at once. Callers make writes idempotent
 * by re-reading chain state before re-sending, so a retried send never acts twice.
 */
export interface RetryOptions {
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly log?: (line: string) => void;
}

// Whole words only: an address or payload can contain "429" or "503" by chance.
const TRANSIENT =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|network|timeout|429|502|503|504)\b/i;

/** True for errors a retry may cure: transport and rate-limit failures, not reverts or bad input. */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string; shortMessage?: string };
  if (e?.code === "CALL_EXCEPTION" || e?.code === "INVALID_ARGUMENT" || e?.code === "ACTION_REJECTED") return false;
  if (e?.code === "NETWORK_ERROR" || e?.code === "SERVER_ERROR" || e?.code === "TIMEOUT") return true;
  const text = `${e?.shortMessage ?? ""} ${e?.message ?? String(error)}`;
  if (/revert/i.test(text)) return false; // an answer from the chain, whatever digits it contains
  return TRANSIENT.test(text);
}

export async function withRetry<T>(label: string, fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || attempt >= attempts) {
        if (attempt > 1 && isTransient(e)) {
          throw new Error(`${label}: still failing after ${attempt} attempts: ${(e as Error).message}`);
        }
        throw e;
      }
      const delay = Math.min(max, base * 2 ** (attempt - 1));
      options.log?.(
        `${label}: attempt ${attempt} failed (${(e as Error).message.split("\n")[0]}); retrying in ${delay} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
