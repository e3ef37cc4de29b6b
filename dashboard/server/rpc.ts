/**
 * Where the dashboard's /rpc goes: an HTTP JSON-RPC endpoint (--rpc URL) or, in demo mode, the
 * in-process Hardhat network of the same process (an EIP-1193 `request`). Only what a reader and
 * a wallet that signs for itself need is let through: no eth_sendTransaction (a dev node's
 * unlocked accounts), no eth_sign, no evm_/hardhat_/debug_ methods.
 */

export const RPC_METHODS: ReadonlySet<string> = new Set([
  "eth_chainId",
  "net_version",
  "web3_clientVersion",
  "eth_blockNumber",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_call",
  "eth_estimateGas",
  "eth_getLogs",
  "eth_getBalance",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_getTransactionCount",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
  "eth_syncing",
  "eth_sendRawTransaction",
]);

/** JSON-RPC error code used when the chain's endpoint cannot be reached. */
export const RPC_UNREACHABLE = -32099;

export type RpcAnswer =
  | { jsonrpc: "2.0"; id: unknown; result: unknown }
  | { jsonrpc: "2.0"; id: unknown; error: { code: number; message: string; data?: unknown } };

export interface RpcBackend {
  /** A description for messages ("http://127.0.0.1:8545", "the in-process Hardhat network"). */
  readonly description: string;
  /** One call; failures come back as JSON-RPC errors, never as exceptions. */
  call(id: unknown, method: string, params: readonly unknown[]): Promise<RpcAnswer>;
}

/** An HTTP(S) JSON-RPC endpoint, each call bounded by `timeoutMs`. */
export class HttpRpcBackend implements RpcBackend {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--rpc '${url}' is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new Error(`--rpc '${url}' must be an http:// or https:// URL`);
    }
  }

  get description(): string {
    return this.url;
  }

  async call(id: unknown, method: string, params: readonly unknown[]): Promise<RpcAnswer> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      return unreachable(id, this.url, e);
    }
    const text = await response.text();
    let body: { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    try {
      body = JSON.parse(text);
    } catch {
      return {
        jsonrpc: "2.0",
        id,
        error: {
          code: RPC_UNREACHABLE,
          message: `the chain's RPC endpoint ${this.url} answered HTTP ${response.status} with no JSON-RPC body`,
        },
      };
    }
    if (body.error) {
      const code = typeof body.error.code === "number" ? body.error.code : -32603;
      const message = typeof body.error.message === "string" ? body.error.message : "error";
      return {
        jsonrpc: "2.0",
        id,
        error: body.error.data === undefined ? { code, message } : { code, message, data: body.error.data },
      };
    }
    return { jsonrpc: "2.0", id, result: body.result ?? null };
  }
}

/** Anything with EIP-1193's `request` (Hardhat's network provider). */
export interface Eip1193 {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

/** The in-process network of this process (demo mode). */
export class Eip1193RpcBackend implements RpcBackend {
  constructor(
    private readonly provider: Eip1193,
    readonly description: string,
  ) {}

  async call(id: unknown, method: string, params: readonly unknown[]): Promise<RpcAnswer> {
    try {
      return { jsonrpc: "2.0", id, result: (await this.provider.request({ method, params: [...params] })) ?? null };
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof err.code === "number" ? err.code : -32603;
      const message = typeof err.message === "string" ? err.message : String(e);
      // Revert data (a custom error) travels as `data`, as a node sends it, so the page can decode it.
      const data = typeof err.data === "string" ? err.data : (err.data as { data?: unknown } | undefined)?.data;
      return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
    }
  }
}

function unreachable(id: unknown, url: string, e: unknown): RpcAnswer {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    (e as Error).name === "TimeoutError"
      ? "no answer in time"
      : (cause?.code ?? cause?.message ?? (e as Error).message ?? String(e));
  return {
    jsonrpc: "2.0",
    id,
    error: { code: RPC_UNREACHABLE, message: `the chain's RPC endpoint ${url} cannot be reached (${reason})` },
  };
}
