/**
 * Typed errors end to end: each class, what it is classified as (`errorKind`, `isTransient`),
 * how a raw error from ethers, a node or fetch becomes typed where it first enters
 * (`toChainError`, `withRetry`, `connectRpc`), and the one line `describeChainError` gives.
 */
import { expect } from "chai";
import { makeError, ZeroHash } from "ethers";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InputError } from "../../../oracle/errors";
import { CaseDataError, CaseFormatError, GridError, PowerFlowNotConvergedError } from "../../../oracle/grid/errors";
import { ProfileFormatError, ProfileSelectionError } from "../../../oracle/market/profiles";
import { ScenarioError } from "../../../oracle/market/scenario";
import {
  ChainError,
  ConfigurationError,
  decodeRevert,
  describeChainError,
  errorKind,
  isTransient,
  RevertError,
  toChainError,
  TransportError,
} from "../../../oracle/chain/errors";
import { WalletConfigError } from "../../../oracle/chain/wallet";
import { withRetry } from "../../../oracle/chain/retry";
import { connectRpc } from "../../../oracle/chain/rpc";
import { DemandResponseMarket__factory } from "../../../typechain-types";

const OFFER = `0x${"ab".repeat(32)}`;
/** Revert data of the market's `OfferNotOpen(offerHash, status)`, as a node returns it. */
const OFFER_NOT_OPEN = DemandResponseMarket__factory.createInterface().encodeErrorResult("OfferNotOpen", [OFFER, 2]);

/** A revert as ethers reports it from eth_call or eth_estimateGas. */
const rawRevert = (data: string): Error =>
  makeError("execution reverted (unknown custom error)", "CALL_EXCEPTION", {
    action: "call",
    data,
    reason: null,
    transaction: { to: null, data: "0x" },
    invocation: null,
    revert: null,
  });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("typed errors (oracle/errors.ts, oracle/chain/errors.ts)", () => {
  describe("the classes", () => {
    it("InputError names its source (and line) and keeps the problem apart", () => {
      const e = new InputError("bus row 3: value is NaN", { source: "cases/x.m", line: 12 });
      expect(e.message).to.equal("cases/x.m:12: bus row 3: value is NaN");
      expect([e.name, e.source, e.line, e.problem]).to.deep.equal([
        "InputError",
        "cases/x.m",
        12,
        "bus row 3: value is NaN",
      ]);
      expect(new InputError("forecast for bus 9: the case has no such bus").message).to.equal(
        "forecast for bus 9: the case has no such bus",
      );
    });

    it("every kind of bad input is an InputError: case format, case data, load profiles, scenarios", () => {
      const format = new CaseFormatError("unterminated string", "c.m", 4);
      expect(format.message).to.equal("c.m:4: unterminated string");
      expect([format.file, format.line, format.name]).to.deep.equal(["c.m", 4, "CaseFormatError"]);
      expect(new CaseDataError("the bus matrix is empty", "c.m").message).to.equal("c.m: the bus matrix is empty");
      expect(new CaseDataError("unknown bus number 7").message).to.equal("unknown bus number 7");
      const profile = new ProfileFormatError("no header row", "p.csv", 1);
      expect([profile.message, profile.file]).to.deep.equal(["p.csv:1: no header row", "p.csv"]);
      for (const e of [
        format,
        new CaseDataError("x"),
        profile,
        new ProfileSelectionError("no column for Sundays"),
        new ScenarioError("no demand"),
      ]) {
        expect(e, e.name).to.be.instanceOf(InputError);
        expect(errorKind(e), e.name).to.equal("input");
        expect(isTransient(e), e.name).to.equal(false);
      }
    });

    it("a failed computation on good input is a GridError, not an input error", () => {
      const e = new PowerFlowNotConvergedError("Newton-Raphson", 10, 0.5);
      expect(e).to.be.instanceOf(GridError).and.not.instanceOf(InputError);
      expect(errorKind(e)).to.equal("other");
    });

    it("the chain's classes keep their cause and name themselves", () => {
      const cause = new Error("ECONNRESET");
      const t = new TransportError("cannot reach RPC_URL", { cause });
      expect(t).to.be.instanceOf(ChainError);
      expect([t.name, t.cause, t.retryable]).to.deep.equal(["TransportError", cause, true]);
      const c = new WalletConfigError("PRIVATE_KEY is not set");
      expect(c).to.be.instanceOf(ConfigurationError);
      expect(c.name).to.equal("WalletConfigError");
      const r = new RevertError("OfferNotOpen", [OFFER, 2n], OFFER_NOT_OPEN.slice(0, 10), OFFER_NOT_OPEN);
      expect([r.name, r.message, r.decoded]).to.deep.equal([
        "RevertError",
        `reverted: OfferNotOpen(${OFFER}, 2)`,
        true,
      ]);
      const undecoded = new RevertError("", [], undefined, undefined, { message: "fill: transaction 0x12 reverted" });
      expect([undecoded.message, undecoded.decoded]).to.deep.equal(["fill: transaction 0x12 reverted", false]);
    });
  });

  describe("classification by class", () => {
    const byClass: [unknown, string][] = [
      [new TransportError("node gone"), "transport"],
      [new RevertError("OfferNotOpen", [OFFER, 2n], undefined, undefined), "revert"],
      [new ConfigurationError("RPC_URL is not set"), "configuration"],
      [new WalletConfigError("PRIVATE_KEY is not a private key"), "configuration"],
      [new InputError("bad forecast"), "input"],
      [new CaseFormatError("unexpected ';'", "c.m", 2), "input"],
      [new Error("something else"), "other"],
      ["a string", "other"],
      [undefined, "other"],
    ];

    it("each class is its kind, and only the transport is transient", () => {
      for (const [error, kind] of byClass) {
        expect(errorKind(error), String(error)).to.equal(kind);
        expect(isTransient(error), String(error)).to.equal(kind === "transport");
      }
    });

    it("the class decides, whatever words the message holds", () => {
      // A case file named timeout.m, a setting that mentions a 503 page: not transport failures.
      expect(errorKind(new CaseFormatError("unexpected character", "timeout.m", 1))).to.equal("input");
      expect(errorKind(new ConfigurationError("RPC_URL answered HTTP 503 once and 404 now"))).to.equal("configuration");
      expect(errorKind(new TransportError("no answer"))).to.equal("transport");
    });

    it("looks through `cause` to the first error that says what it is", () => {
      const wrapped = new Error("step: read meters", { cause: new TransportError("timeout") });
      expect(errorKind(wrapped)).to.equal("transport");
      const input = new Error("step", { cause: new Error("period 7", { cause: new InputError("bad") }) });
      expect(errorKind(input)).to.equal("input");
    });
  });

  describe("raw errors where they enter: ethers, nodes, fetch", () => {
    it("transport by ethers or socket code, or by the words a node or proxy answers with", () => {
      const transport = [
        makeError("could not detect network", "NETWORK_ERROR"),
        makeError("server response 502 Bad Gateway", "SERVER_ERROR"),
        makeError("request timeout", "TIMEOUT"),
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }),
        new Error("socket hang up"),
        new Error("HTTP 503 Service Unavailable"),
        new Error("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) }),
      ];
      for (const e of transport) {
        expect(errorKind(e), (e as Error).message).to.equal("transport");
        const typed = toChainError(e);
        expect(typed, (e as Error).message).to.be.instanceOf(TransportError);
        expect((typed as TransportError).cause).to.equal(e);
      }
    });

    it("a revert is the chain's answer, never transport, whatever digits it holds", () => {
      expect(errorKind(rawRevert(OFFER_NOT_OPEN))).to.equal("revert");
      expect(errorKind(new Error("execution reverted: HTTP 503 in the reason string"))).to.equal("revert");
      expect(isTransient(Object.assign(new Error("missing revert data"), { code: "CALL_EXCEPTION" }))).to.equal(false);
    });

    it("a revert GridSwap's ABIs know becomes a decoded RevertError; an unknown one stays as it is", () => {
      const raw = rawRevert(OFFER_NOT_OPEN);
      const typed = toChainError(raw) as RevertError;
      expect(typed).to.be.instanceOf(RevertError);
      expect([typed.errorName, typed.args[0], typed.args[1], typed.cause]).to.deep.equal([
        "OfferNotOpen",
        OFFER,
        2n,
        raw,
      ]);
      const unknown = rawRevert("0xdeadbeef");
      expect(toChainError(unknown)).to.equal(unknown);
    });

    it("anything else (a rejected signature, a bad argument, a bug) is neither retried nor retyped", () => {
      for (const e of [
        makeError("user rejected action", "ACTION_REJECTED", { action: "sendTransaction", reason: "rejected" }),
        makeError("invalid address", "INVALID_ARGUMENT", { argument: "to", value: "0x12" }),
        new TypeError("x is undefined"),
        new Error(`no offer ${"0".repeat(30)}429${"0".repeat(31)}`), // digits in an address are not HTTP 429
      ]) {
        expect(errorKind(e), (e as Error).message).to.equal("other");
        expect(toChainError(e)).to.equal(e);
      }
    });

    it("a typed error passes through unchanged", () => {
      for (const [e] of byClassSample()) expect(toChainError(e)).to.equal(e);
    });
  });

  describe("decodeRevert and describeChainError", () => {
    it("decode a raw revert, pass a decoded RevertError through, and refuse an undecoded one", () => {
      const decoded = decodeRevert(rawRevert(OFFER_NOT_OPEN));
      expect(decoded?.errorName).to.equal("OfferNotOpen");
      expect(decodeRevert(decoded)).to.equal(decoded);
      expect(decodeRevert(new RevertError("", [], undefined, undefined, { message: "reverted" }))).to.equal(undefined);
    });

    it("one line for each kind", () => {
      expect(describeChainError(rawRevert(OFFER_NOT_OPEN))).to.equal(`transaction reverted: OfferNotOpen(${OFFER}, 2)`);
      expect(
        describeChainError(new RevertError("AccessControlUnauthorizedAccount", [OFFER.slice(0, 42), ZeroHash], "", "")),
      ).to.equal(`transaction reverted: AccessControlUnauthorizedAccount(${OFFER.slice(0, 42)}, DEFAULT_ADMIN_ROLE)`);
      expect(describeChainError(new CaseFormatError("unterminated string\n(at the quote)", "c.m", 3))).to.equal(
        "c.m:3: unterminated string (at the quote)",
      );
      expect(describeChainError(new TransportError("cannot reach RPC_URL http://x: ECONNREFUSED"))).to.equal(
        "cannot reach RPC_URL http://x: ECONNREFUSED",
      );
    });
  });

  describe("withRetry: the edge around every RPC call", () => {
    const quick = { baseDelayMs: 1, maxDelayMs: 2 };

    it("retries transport failures, then throws a TransportError whose cause is the last one", async () => {
      let calls = 0;
      const log: string[] = [];
      const e = await rejection(
        withRetry(
          "read",
          async () => {
            calls++;
            throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
          },
          { ...quick, attempts: 3, log: (l) => log.push(l) },
        ),
      );
      expect(calls).to.equal(3);
      expect(e).to.be.instanceOf(TransportError);
      expect((e as Error).message).to.equal("read: still failing after 3 attempts: read ECONNRESET");
      expect((e as Error).cause).to.be.instanceOf(TransportError);
      expect(log).to.have.length(2);
    });

    it("recovers when the transport does", async () => {
      let calls = 0;
      const value = await withRetry(
        "read",
        async () => {
          if (++calls < 3) throw new TransportError("no answer");
          return 42;
        },
        quick,
      );
      expect([value, calls]).to.deep.equal([42, 3]);
    });

    it("throws a revert (decoded), bad input and a bad setting at once", async () => {
      for (const [thrown, type] of [
        [rawRevert(OFFER_NOT_OPEN), RevertError],
        [new InputError("forecast for bus 9: the case has no such bus"), InputError],
        [new ConfigurationError("PRIVATE_KEY is not set"), ConfigurationError],
        [new TypeError("a bug"), TypeError],
      ] as [unknown, new (...args: never[]) => Error][]) {
        let calls = 0;
        const e = await rejection(
          withRetry(
            "step",
            async () => {
              calls++;
              throw thrown;
            },
            quick,
          ),
        );
        expect(calls, type.name).to.equal(1);
        expect(e, type.name).to.be.instanceOf(type);
      }
    });
  });

  describe("connectRpc: the endpoint's answers, typed", function () {
    this.timeout(20_000);
    let server: Server;
    let url: string;
    let answer: (res: import("node:http").ServerResponse) => void;

    before(async () => {
      server = createServer((_req, res) => answer(res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const status =
      (code: number, body = "") =>
      (res: import("node:http").ServerResponse) => {
        res.writeHead(code, { "content-type": "text/plain" });
        res.end(body);
      };

    it("a chain id: connected", async () => {
      answer = (res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0x7a69" }));
      };
      expect((await connectRpc(url)).chainId).to.equal(31337n);
    });

    it("HTTP 503 or 429, or nobody listening: a TransportError (an agent waits for the node)", async () => {
      for (const code of [503, 429]) {
        answer = status(code);
        const e = await rejection(connectRpc(url, "RPC_URL"));
        expect(e, String(code)).to.be.instanceOf(TransportError);
        expect((e as Error).message).to.match(new RegExp(`^cannot reach RPC_URL ${url}: HTTP ${code}`));
      }
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const e = await rejection(connectRpc(`http://127.0.0.1:${port}`, "--rpc"));
      expect(e).to.be.instanceOf(TransportError);
      expect((e as Error).message).to.match(/^cannot reach --rpc http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    });

    it("HTTP 404, an answer that is not JSON or not a chain id: a ConfigurationError naming the setting", async () => {
      for (const [reply, pattern] of [
        [status(404), /answered HTTP 404 Not Found: not a JSON-RPC endpoint/],
        [status(200, "<html>hello</html>"), /the answer is not JSON/],
        [
          status(200, JSON.stringify({ jsonrpc: "2.0", id: 1, error: { message: "no such method" } })),
          /no such method/,
        ],
      ] as [typeof answer, RegExp][]) {
        answer = reply;
        const e = await rejection(connectRpc(url, "RPC_URL"));
        expect(e, String(pattern)).to.be.instanceOf(ConfigurationError);
        expect((e as Error).message).to.match(new RegExp(`^RPC_URL ${url}: `));
        expect((e as Error).message).to.match(pattern);
      }
    });

    it("a missing or malformed URL: a ConfigurationError, before any request", async () => {
      for (const bad of [undefined, "", "localhost:8545", "ws://127.0.0.1:8546"]) {
        expect(await rejection(connectRpc(bad)), String(bad)).to.be.instanceOf(ConfigurationError);
      }
    });
  });
});

/** One error of each typed class. */
function byClassSample(): [unknown][] {
  return [
    [new TransportError("t")],
    [new RevertError("X", [], undefined, undefined)],
    [new ConfigurationError("c")],
    [new InputError("i")],
    [new CaseDataError("d")],
  ];
}
