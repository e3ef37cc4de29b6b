/**
 * Connecting to a JSON-RPC endpoint the way every GridSwap process does: the URL is checked
 * (naming the setting it came from), `eth_chainId` is asked with a timeout and a few bounded
 * attempts, and the ethers provider is built for that chain with caching off (a nonce or a count
 * read right after a mined transaction must not come from a 250 ms cache).
 *
 * Every request is retried on its own (RetryingJsonRpcProvider): a dropped connection, a timeout
 * or HTTP 5xx on one read costs a short wait, not the whole step that made it. A JSON-RPC error
 * answer (a revert, "nonce too low") is an answer and is not retried here.
 */
import {
  JsonRpcProvider,
  Network,
  type JsonRpcApiProviderOptions,
  type JsonRpcPayload,
  type JsonRpcResult,
} from "ethers";
import { ConfigurationError, TransportError } from "./errors";
import { withRetry } from "./retry";

export interface RpcConnection {
  readonly url: string;
  readonly chainId: bigint;
  readonly provider: JsonRpcProvider;
}

/** Connects to `url`; `setting` names where the URL came from (RPC_URL, --rpc) in every error. */
export async function connectRpc(
  url: string | undefined,
  setting = "RPC_URL",
  log?: (line: string) => void,
): Promise<RpcConnection> {
  if (url === undefined || url.trim() === "") {
    throw new ConfigurationError(`${setting} is not set (the JSON-RPC endpoint, e.g. http://127.0.0.1:8545)`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`${setting} '${url}' is not a URL (e.g. http://127.0.0.1:8545)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigurationError(`${setting} '${url}' must be an http:// or https:// URL`);
  }
  let chainId: bigint;
  try {
    chainId = await withRetry("connect", () => rpcChainId(url), { attempts: 3, baseDelayMs: 300, log });
  } catch (e) {
    if (e instanceof ConfigurationError) throw new ConfigurationError(`${setting} ${url}: ${e.message}`, { cause: e });
    if (!(e instanceof TransportError)) throw e;
    // Unreachable is not a misconfiguration: a supervised agent waits for the node to come back.
    const last = e.cause instanceof TransportError ? e.cause : e;
    throw new TransportError(`cannot reach ${setting} ${url}: ${last.message}`, { cause: e });
  }
  const provider = new RetryingJsonRpcProvider(url, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: 1000,
    cacheTimeout: -1,
  });
  return { url, chainId, provider };
}

/** How one request is retried: attempts in all and the first wait (doubling, at most 2 s). */
export interface RequestRetry {
  readonly attempts: number;
  readonly baseDelayMs: number;
}

/** 8 attempts over about 7 s: one lost request in five is absorbed with room to spare. */
export const DEFAULT_REQUEST_RETRY: RequestRetry = { attempts: 8, baseDelayMs: 100 };

/**
 * A JsonRpcProvider that retries each HTTP request (one call or one batch) on transport failures.
 * Retrying is safe for every method GridSwap uses: reads repeat, and a repeated
 * eth_sendRawTransaction carries the same signed transaction (the node answers "already known").
 */
export class RetryingJsonRpcProvider extends JsonRpcProvider {
  constructor(
    url: string,
    network: Network,
    options: JsonRpcApiProviderOptions,
    private readonly requestRetry: RequestRetry = DEFAULT_REQUEST_RETRY,
  ) {
    super(url, network, options);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const method = Array.isArray(payload) ? payload.map((p) => p.method).join(",") : payload.method;
    return withRetry(`rpc ${method}`, () => super._send(payload), {
      attempts: this.requestRetry.attempts,
      baseDelayMs: this.requestRetry.baseDelayMs,
      maxDelayMs: 2000,
    });
  }
}

/**
 * eth_chainId over plain HTTP, with a timeout. No answer, a timeout, HTTP 429 or 5xx is a
 * TransportError (the node may come back); any other answer that is not a chain id is a
 * ConfigurationError (the URL does not point at a JSON-RPC endpoint).
 */
async function rpcChainId(url: string): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") throw new TransportError("no answer within 10 s (timeout)", { cause: e });
    throw new TransportError(err.cause?.code ?? err.cause?.message ?? err.message, { cause: e });
  }
  const status = `HTTP ${response.status} ${response.statusText}`.trim();
  if (response.status === 429 || response.status >= 500) throw new TransportError(status);
  if (!response.ok) throw new ConfigurationError(`the endpoint answered ${status}: not a JSON-RPC endpoint`);
  let body: { result?: unknown; error?: { message?: string } };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ConfigurationError("the answer is not JSON: not a JSON-RPC endpoint");
  }
  if (typeof body.result !== "string") {
    throw new ConfigurationError(`eth_chainId failed: ${body.error?.message ?? "no result"}`);
  }
  return BigInt(body.result);
}
