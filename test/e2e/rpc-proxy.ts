/**
 * A fault-injecting JSON-RPC proxy on 127.0.0.1 for the agents' fault tests: it forwards to a
 * node and, by rule, drops a request (connection reset), answers HTTP 500 without forwarding,
 * forwards and then loses the answer, or delays it; and it can be "down" (every connection reset)
 * for a while. Batched requests (ethers sends them) match a rule when any of their calls does.
 * A loss rate drops a share of all requests at random: before forwarding (the node never sees it)
 * and after (the node acted, the answer is lost), from a seeded generator (repeatable runs).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { rng } from "../oracle/helpers";

export type FaultAction = "drop" | "fail500" | "lose-response" | { readonly delayMs: number };

export interface FaultRule {
  /** JSON-RPC method to match (e.g. "eth_sendRawTransaction"). */
  readonly method: string;
  /** How many matching requests this rule acts on; later ones pass through. */
  times: number;
  readonly action: FaultAction;
  /** Only requests after this many matching ones have passed (default 0). */
  skip?: number;
}

export class RpcProxy {
  readonly rules: FaultRule[] = [];
  /** Calls seen per method. */
  readonly seen = new Map<string, number>();
  /** Faults injected, as "method:action". */
  readonly injected: string[] = [];
  private isDown = false;
  private loss = { before: 0, after: 0 };
  private random: () => number = rng(1);

  private constructor(
    private readonly server: Server,
    private readonly target: string,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<RpcProxy> {
    const holder: { proxy?: RpcProxy } = {};
    const server = createServer((req, res) => void holder.proxy?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    holder.proxy = new RpcProxy(server, target, `http://127.0.0.1:${port}`);
    return holder.proxy;
  }

  /** While down, every request's connection is reset (an outage of the node or the network). */
  setDown(down: boolean): void {
    this.isDown = down;
  }

  /** Drops `before` of the requests before forwarding them and `after` after (fractions, 0–1). */
  setLoss(before: number, after: number, seed = 1): void {
    this.loss = { before, after };
    this.random = rng(seed);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (this.isDown) {
      this.injected.push("down");
      req.socket.destroy();
      return;
    }
    let methods: string[] = [];
    try {
      const parsed = JSON.parse(body) as { method?: string } | { method?: string }[];
      methods = (Array.isArray(parsed) ? parsed : [parsed]).map((p) => String(p.method));
    } catch {
      // not JSON: forward as is
    }
    for (const m of methods) this.seen.set(m, (this.seen.get(m) ?? 0) + 1);
    const rule = this.rules.find((r) => r.times > 0 && methods.includes(r.method));
    let action: FaultAction | undefined;
    if (rule) {
      if ((rule.skip ?? 0) > 0) rule.skip = (rule.skip ?? 0) - 1;
      else {
        rule.times--;
        action = rule.action;
        this.injected.push(`${rule.method}:${typeof action === "string" ? action : `delay ${action.delayMs} ms`}`);
      }
    }
    if (action === undefined && this.loss.before > 0 && this.random() < this.loss.before) {
      this.injected.push("loss:before");
      return void req.socket.destroy();
    }
    const loseAfter = action === undefined && this.loss.after > 0 && this.random() < this.loss.after;
    if (action === "drop") return void req.socket.destroy();
    if (action === "fail500") {
      res.writeHead(500, { "content-type": "text/plain" });
      return void res.end("internal server error (injected)");
    }
    if (typeof action === "object") await new Promise((r) => setTimeout(r, action.delayMs));
    let answer: Response;
    try {
      answer = await fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body });
    } catch {
      return void req.socket.destroy();
    }
    const text = await answer.text();
    if (action === "lose-response") return void req.socket.destroy();
    if (loseAfter) {
      this.injected.push("loss:after");
      return void req.socket.destroy();
    }
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(text);
  }
}
