/**
 * The dashboard's HTTP server, bound to loopback: the built pages (dashboard/dist), a read-only
 * API over the deployment, the case and the centre's published results, and `/rpc` — a JSON-RPC
 * proxy to the chain so the browser needs no CORS and sees exactly the chain the server checked.
 *
 *   GET  /api/config          deployment (chain id, addresses, period length), chain status, case name
 *   GET  /api/case            the case's topology (buses, branches with limits, units)
 *   GET  /api/periods         one line per published period
 *   GET  /api/periods/<n>     the record of period n (study, load flow as it ran, delivery)
 *   GET  /api/results/<file>  any file of the results directory, read-only, never outside it
 *   GET  /api/bids            the bid book's auctions: sealed counts, revealed bids, selections (docs/bids.md)
 *   GET  /api/demo            demo mode: the period driver's state
 *   POST /api/demo/pause | /api/demo/resume | /api/demo/step    demo mode: hold or advance the clock
 *   POST /rpc                 JSON-RPC (single or batch), read methods and eth_sendRawTransaction only
 *
 * Requests whose Host is not this loopback server are refused (DNS rebinding), and so are POSTs
 * from another origin.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname } from "node:path";
import type { BidsView, DashboardConfig, DemoInfo, DemoStatus, Topology } from "../shared/types";
import type { ChainStatus } from "./chain";
import { ForbiddenPathError, safeFileUnder, type ResultsDirectory } from "./results";
import { RPC_METHODS, RPC_UNREACHABLE, type RpcAnswer, type RpcBackend } from "./rpc";

export interface DemoControl {
  readonly info: DemoInfo;
  status(): DemoStatus;
  pause(): void;
  resume(): void;
  step(): Promise<void>;
}

export interface DashboardServerOptions {
  /** The built pages (index.html and assets/). */
  readonly distDir: string;
  readonly rpc: RpcBackend;
  readonly chain: ChainStatus;
  readonly topology?: Topology;
  readonly results?: ResultsDirectory;
  readonly demo?: DemoControl;
  /** The deployment's bid book, read from the chain (absent: the deployment has none). */
  readonly bids?: { view(): Promise<BidsView> };
  /** How often the pages poll, ms. */
  readonly pollMs: number;
  /** Port on 127.0.0.1 (0: any free port). */
  readonly port: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".csv": "text/csv; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Self only; styles inline (cytoscape and vega set them); no eval (vega runs its AST interpreter). */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startDashboardServer(o: DashboardServerOptions): Promise<RunningServer> {
  if (!existsSync(`${o.distDir}/index.html`)) {
    throw new Error(`${o.distDir}/index.html is missing: build the pages with \`npm run dashboard:build\``);
  }
  const server: Server = createServer((req, res) => {
    handle(o, req, res, port).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof ForbiddenPathError ? 403 : 500;
      if (status === 500) o.log?.(`dashboard: ${req.method} ${req.url} failed: ${(e as Error).message}`);
      if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
      else res.end();
    });
  });
  let port = o.port;
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(o.port, "127.0.0.1", () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function handle(
  o: DashboardServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
): Promise<void> {
  const host = req.headers.host ?? "";
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new HttpError(403, `requests must be addressed to 127.0.0.1:${port} (got Host '${host}')`);
  }
  // The raw path, decoded once: WHATWG URL parsing would quietly resolve "%2e%2e" segments, and a
  // path that tries to leave a directory must be refused (403), not silently served elsewhere.
  let path: string;
  try {
    path = decodeURIComponent((req.url ?? "/").split(/[?#]/)[0]);
  } catch {
    throw new HttpError(400, "malformed percent-encoding in the path");
  }
  if (!path.startsWith("/")) throw new HttpError(400, "the path must start with /");
  if (req.method === "POST") {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
      throw new HttpError(403, `POST from another origin (${origin}) refused`);
    }
    if (path === "/rpc") return proxyRpc(o, req, res);
    if (path.startsWith("/api/demo/")) return demoAction(o, path.slice("/api/demo/".length), res);
    throw new HttpError(405, `POST is not accepted at ${path}`);
  }
  if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, `${req.method} is not accepted`);

  if (path === "/api/config") return sendJson(res, 200, await config(o));
  if (path === "/api/case") {
    if (!o.topology) throw new HttpError(404, "no case was given to the dashboard (--case FILE)");
    return sendJson(res, 200, o.topology);
  }
  if (path === "/api/periods") return sendJson(res, 200, o.results ? o.results.index() : []);
  const periodMatch = /^\/api\/periods\/(\d+)$/.exec(path);
  if (periodMatch) {
    const record = o.results?.record(Number(periodMatch[1]));
    if (!record) throw new HttpError(404, `no published results for period ${periodMatch[1]}`);
    return sendJson(res, 200, record);
  }
  if (path.startsWith("/api/results/")) {
    if (!o.results) throw new HttpError(404, "no results directory was given to the dashboard (--results DIR)");
    const file = safeFileUnder(o.results.root, path.slice("/api/results/".length));
    if (!file) throw new HttpError(404, `no such results file: ${path.slice("/api/results/".length)}`);
    return sendFile(res, file, "no-store");
  }
  if (path === "/api/bids") {
    if (!o.bids) throw new HttpError(404, "the deployment has no bid book (deploy with --bids)");
    return sendJson(res, 200, await o.bids.view());
  }
  if (path === "/api/demo") {
    if (!o.demo) throw new HttpError(404, "not in demo mode");
    return sendJson(res, 200, o.demo.status());
  }
  if (path === "/rpc") throw new HttpError(405, "JSON-RPC requests are POSTed to /rpc");
  if (path.startsWith("/api/")) throw new HttpError(404, `no such endpoint: ${path}`);

  // The pages: index.html for "/", hashed assets cached for a long time.
  const file = safeFileUnder(o.distDir, path === "/" ? "index.html" : path);
  if (!file) throw new HttpError(404, `not found: ${path}`);
  return sendFile(res, file, path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
}

async function config(o: DashboardServerOptions): Promise<DashboardConfig> {
  const { deployment, problem } = await o.chain.check();
  return {
    deployment: {
      network: deployment.network,
      chainId: deployment.chainId,
      deployBlock: deployment.deployBlock,
      periodSeconds: deployment.periodSeconds,
      addresses: deployment.addresses,
    },
    chain: problem === undefined ? { ok: true } : { ok: false, problem },
    caseName: o.topology?.name,
    results: o.results !== undefined,
    pollMs: o.pollMs,
    demo: o.demo?.info,
  };
}

async function demoAction(o: DashboardServerOptions, action: string, res: ServerResponse): Promise<void> {
  const demo = o.demo;
  if (!demo) throw new HttpError(404, "not in demo mode");
  if (action === "pause") demo.pause();
  else if (action === "resume") demo.resume();
  else if (action === "step") await demo.step();
  else throw new HttpError(404, `no demo action '${action}' (pause, resume, step)`);
  sendJson(res, 200, demo.status());
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

async function proxyRpc(o: DashboardServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return sendJson(res, 400, rpcError(null, -32700, "parse error: the body is not JSON"));
  }
  const batch = Array.isArray(parsed);
  const calls = (batch ? parsed : [parsed]) as JsonRpcRequest[];
  if (calls.length === 0 || calls.length > 100) {
    return sendJson(res, 400, rpcError(null, -32600, "a batch holds 1 to 100 requests"));
  }
  const answers = await Promise.all(
    calls.map(async (call) => {
      const id = call?.id ?? null;
      if (typeof call !== "object" || call === null || typeof call.method !== "string") {
        return rpcError(id, -32600, "invalid request: no method");
      }
      if (!RPC_METHODS.has(call.method)) {
        return rpcError(id, -32601, `method ${call.method} is not available through the dashboard`);
      }
      const params = call.params === undefined ? [] : call.params;
      if (!Array.isArray(params)) return rpcError(id, -32602, "params must be an array");
      return o.rpc.call(id, call.method, params);
    }),
  );
  // A transport failure of the node itself is a 502, so the pages can tell it from a revert.
  const unreachable = answers.every((a) => "error" in a && a.error.code === RPC_UNREACHABLE);
  sendJson(res, unreachable ? 502 : 200, batch ? answers : answers[0]);
}

function rpcError(id: unknown, code: number, message: string): RpcAnswer {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", fail);
  });
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  securityHeaders(res);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

function sendFile(res: ServerResponse, file: string, cache: string): void {
  securityHeaders(res);
  res.writeHead(200, {
    "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": statSync(file).size,
    "Cache-Control": cache,
  });
  createReadStream(file).pipe(res);
}
