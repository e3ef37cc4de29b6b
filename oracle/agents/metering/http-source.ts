/**
 * Meter readings from an HTTP endpoint (a head-end system, a data hub, the simulated meters).
 * One read() = one POST, no retries here: the caller decides, by the error's class: no answer, a
 * timeout, HTTP 5xx, 408 or 429 is a MeterSourceUnavailableError (a TransportError: transient);
 * another HTTP 4xx is a MeterSourceRefusedError (a ConfigurationError: asking again will not help).
 * Only an endpoint that gives no usable answer throws; a malformed
 * record is a RejectedRecord, and an answer that is not {"readings": [ … ]} is one.
 *
 *   request   POST <url>   Content-Type: application/json   Accept: application/json
 *             {"meters": ["0x…", …], "periods": [123, …]}     (a member is omitted: "all")
 *   answer    200, {"readings": [ {record}, … ]}  — records as in files (docs/metering.md); the
 *             answer may hold more than was asked: only the readings asked for are kept.
 */
import { MeterSourceRefusedError, MeterSourceUnavailableError } from "./errors";
import { filterBatch, queryFilter, readingsFromJsonText } from "./records";
import type { MeterSource, ReadingBatch, ReadingQuery } from "./types";
import { checkPeriodSeconds } from "./units";

export interface HttpMeterSourceOptions {
  /** The endpoint, http: or https:. */
  readonly url: string;
  /** Period length, s (read from the oracle contract): converts powerMw to Wh. */
  readonly periodSeconds: number;
  /** Give up on an answer after this long, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. an Authorization the endpoint requires. */
  readonly headers?: Readonly<Record<string, string>>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of a bad answer to quote in an error. */
const QUOTE_CHARS = 80;

export class HttpMeterSource implements MeterSource {
  readonly description: string;
  private readonly url: string;
  private readonly periodSeconds: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpMeterSourceOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new RangeError(`meter endpoint "${options.url}" is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new RangeError(`meter endpoint ${options.url}: only http: and https: are supported`);
    }
    this.url = url.href;
    this.periodSeconds = checkPeriodSeconds(options.periodSeconds);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeout must be positive, got ${options.timeoutMs} ms`);
    this.description = `meter readings from ${this.url}`;
  }

  async read(query?: ReadingQuery): Promise<ReadingBatch> {
    const filter = queryFilter(query);
    const body = JSON.stringify({
      ...(filter.meters ? { meters: [...filter.meters] } : {}),
      ...(filter.periods ? { periods: [...filter.periods] } : {}),
    });
    const url = this.url;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (e) {
      throw new MeterSourceUnavailableError(url, transportProblem(e, this.timeoutMs), { cause: e });
    }
    if (!response.ok) {
      const answer = `HTTP ${response.status} ${response.statusText}${text ? `: ${quote(text)}` : ""}`.trim();
      // 4xx: this request is refused (wrong URL, credentials), except a timeout or a rate limit.
      const refused = response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status);
      throw refused ? new MeterSourceRefusedError(url, answer) : new MeterSourceUnavailableError(url, answer);
    }
    const batch = readingsFromJsonText(
      text,
      (line, index) => (index === undefined ? `${url} (answer line ${line})` : `${url} readings[${index}]`),
      this.periodSeconds,
      "answer",
    );
    return filterBatch(filter, batch);
  }
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > QUOTE_CHARS ? `"${flat.slice(0, QUOTE_CHARS)}…"` : `"${flat}"`;
}

/** A fetch failure in words: a timeout, or unreachable with the cause's code. */
function transportProblem(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms (timeout)`;
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return `unreachable (${cause})`;
}
