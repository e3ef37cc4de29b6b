/**
 * The operators' transport: each `agent:oracle` serves its signing endpoint over HTTP, and a
 * proposer (the centre, or an operator standing in) calls it (docs/oracle.md, "Transport").
 *
 *   POST /v1/observe           {reportPeriod}          → ObservationResponse
 *   POST /v1/sign-report       ReportProposal          → SignResponse (200 signed, 409 refused)
 *   POST /v1/sign-correction   CorrectionProposal      → SignResponse (200 signed, 409 refused)
 *   GET  /v1/reports/<period>                           → the report it signed for the period, as
 *                                                         proposed, with the study's inputs (404: none)
 *   GET  /v1/health                                     → {operator, ok}
 *
 * Why this and not attestations on chain: a signature already authenticates its content and its
 * signer (the oracle contract checks both), so the channel needs neither TLS nor accounts for
 * integrity, and the operators pay no gas per period for being asked. What it costs: the proposer
 * must reach the operators (an address each, a firewall rule), and an operator's answer is seen
 * only by who asked. Each request is bounded (1 MiB, one at a time per operator, a timeout on the
 * client), and an operator recomputes everything it signs, so an open endpoint can waste its time
 * but never obtain a signature for content the operator does not compute itself.
 */
import { DeploymentGoneError } from "../../chain/errors";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  fromWire,
  isSignature,
  toWire,
  type CorrectionProposal,
  type ObservationRequest,
  type ObservationResponse,
  type OperatorClient,
  type ReportProposal,
  type SignResponse,
} from "./protocol";

const MAX_BODY = 1 << 20;

/** Serves `operator` on host:port (port 0: any free port); resolves with the URL once listening. */
export async function serveOperator(
  operator: OperatorClient & { signedProposal?(period: number): ReportProposal | undefined },
  options: { host?: string; port?: number; log?: (line: string) => void } = {},
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const log = options.log ?? (() => undefined);
  const server = createServer((req, res) => {
    handle(operator, req, res).catch((e) => {
      // A deployment gone is final: the agent's loop says so once and stops; peers get 503.
      const gone = e instanceof DeploymentGoneError;
      if (!gone) log(`HTTP ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) reply(res, gone ? 503 : 500, { error: (e as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  operator: OperatorClient & { signedProposal?(period: number): ReportProposal | undefined },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "").split("?")[0];
  if (req.method === "GET" && path === "/v1/health") return reply(res, 200, { operator: operator.name, ok: true });
  const report = /^\/v1\/reports\/(\d{1,10})$/.exec(path);
  if (req.method === "GET" && report) {
    const proposal = operator.signedProposal?.(Number(report[1]));
    return proposal
      ? reply(res, 200, proposal)
      : reply(res, 404, { error: `no report signed for period ${report[1]}` });
  }
  if (req.method !== "POST") return reply(res, 405, { error: `${req.method} ${path}: use POST` });
  let body: unknown;
  try {
    body = fromWire(await readBody(req));
  } catch (e) {
    return reply(res, 400, { error: `the request body is not JSON: ${(e as Error).message}` });
  }
  if (typeof body !== "object" || body === null)
    return reply(res, 400, { error: "the request body must be an object" });
  try {
    switch (path) {
      case "/v1/observe":
        return reply(res, 200, await operator.observe(body as ObservationRequest));
      case "/v1/sign-report": {
        const answer = await operator.signReport(body as ReportProposal);
        return reply(res, isSignature(answer) ? 200 : 409, answer);
      }
      case "/v1/sign-correction": {
        const answer = await operator.signCorrection(body as CorrectionProposal);
        return reply(res, isSignature(answer) ? 200 : 409, answer);
      }
      default:
        return reply(res, 404, { error: `no such endpoint: ${path}` });
    }
  } catch (e) {
    // A malformed proposal (a field missing or of the wrong type) is the caller's problem.
    if (e instanceof TypeError || e instanceof RangeError) return reply(res, 400, { error: e.message });
    throw e;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new RangeError(`larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const text = toWire(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** An operator reached over HTTP. Every call times out (default 20 s): an absent operator is one fewer, never a hang. */
export class HttpOperatorClient implements OperatorClient {
  readonly name: string;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 20_000,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RangeError(`operator URL "${url}" is not a URL (e.g. http://127.0.0.1:8601)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new RangeError(`operator URL "${url}": only http: and https: are supported`);
    this.name = url.replace(/\/+$/, "");
  }

  /** Whether the operator answers its health check now. */
  async healthy(): Promise<boolean> {
    try {
      const r = await fetch(`${this.name}/v1/health`, { signal: AbortSignal.timeout(Math.min(this.timeoutMs, 5_000)) });
      return r.ok;
    } catch {
      return false;
    }
  }

  observe(request: ObservationRequest): Promise<ObservationResponse> {
    return this.post("/v1/observe", request, [200]);
  }

  signReport(proposal: ReportProposal): Promise<SignResponse> {
    return this.post("/v1/sign-report", proposal, [200, 409]);
  }

  signCorrection(proposal: CorrectionProposal): Promise<SignResponse> {
    return this.post("/v1/sign-correction", proposal, [200, 409]);
  }

  private async post<T>(path: string, body: unknown, ok: readonly number[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.name}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: toWire(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why =
        err.name === "TimeoutError" || err.name === "AbortError"
          ? `no answer within ${this.timeoutMs} ms`
          : (err.cause?.code ?? err.message);
      throw new Error(`operator ${this.name} is unreachable (${why})`);
    }
    const text = await response.text();
    if (!ok.includes(response.status)) {
      let detail = text.slice(0, 200);
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? detail;
      } catch {
        // not JSON: keep the text
      }
      throw new Error(`operator ${this.name} answered HTTP ${response.status}: ${detail}`);
    }
    return fromWire<T>(text);
  }
}

/**
 * Waits until at least `needed` of the operators answer (processes started together come up in any
 * order); throws naming the silent ones after `timeoutMs`.
 */
export async function waitForOperators(
  operators: readonly HttpOperatorClient[],
  needed: number,
  timeoutMs: number,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const up = await Promise.all(operators.map((o) => o.healthy()));
    if (up.filter(Boolean).length >= needed) return;
    const silent = operators.filter((_, i) => !up[i]).map((o) => o.name);
    if (Date.now() >= until)
      throw new Error(
        `only ${up.filter(Boolean).length} of ${needed} oracle operators answer: ${silent.join(", ")} do not`,
      );
    if (!said) log(`waiting for the oracle operators (${needed} needed) — not answering yet: ${silent.join(", ")}`);
    said = true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
