/**
 * The HTTP source against a small node:http server on 127.0.0.1 (started and stopped here): the
 * request it sends, the answers it accepts, a RejectedRecord for each malformed record (or a
 * nonsensical answer as a whole), and a clear error naming the URL for an unreachable, slow or
 * failing endpoint — transient or not as the agents' retry layer sees it.
 */
import { expect } from "chai";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isTransient, withRetry } from "../../../../oracle/chain/retry";
import { MeterSourceRefusedError, MeterSourceUnavailableError } from "../../../../oracle/agents/metering/errors";
import { ConfigurationError } from "../../../../oracle/chain/errors";
import { HttpMeterSource } from "../../../../oracle/agents/metering/http-source";

const T = 1800;
const METER_A = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const METER_B = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const P = 947_396;
const END = (P + 1) * T;

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("HTTP meter source", () => {
  let server: Server;
  let url: string;
  let handler: Handler;
  const requests: { method?: string; headers: IncomingMessage["headers"]; body: string }[] = [];

  beforeEach(async () => {
    requests.length = 0;
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        requests.push({ method: request.method, headers: request.headers, body });
        handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/meters/readings`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (status: number, value: unknown): Handler => {
    return (_request, _body, response) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(typeof value === "string" ? value : JSON.stringify(value));
    };
  };
  const record = (meter: string, period: number, extra: Record<string, unknown> = {}) => ({
    meter,
    period,
    energyWh: 1000,
    quality: "OK",
    timestamp: (period + 1) * T,
    ...extra,
  });

  it("POSTs the meters and periods it wants and keeps only those readings from the answer", async () => {
    handler = json(200, {
      readings: [
        record(METER_A, P),
        record(METER_B, P, { powerMw: "-0.2", energyWh: undefined }),
        record(METER_A, P - 1), // not asked for: dropped
      ],
    });
    const source = new HttpMeterSource({ url, periodSeconds: T, headers: { authorization: "Bearer test-token" } });
    expect(source.description).to.equal(`meter readings from ${url}`);
    const { readings, rejected } = await source.read({ meters: [METER_A, METER_B.toLowerCase()], periods: [P] });
    expect(rejected).to.deep.equal([]);
    expect(readings).to.deep.equal([
      { meter: METER_A, period: P, energyWh: 1000n, quality: "OK", timestamp: END, origin: `${url} readings[0]` },
      { meter: METER_B, period: P, energyWh: -100_000n, quality: "OK", timestamp: END, origin: `${url} readings[1]` },
    ]);
    expect(requests).to.have.length(1);
    expect(requests[0].method).to.equal("POST");
    expect(requests[0].headers["content-type"]).to.equal("application/json");
    expect(requests[0].headers.accept).to.equal("application/json");
    expect(requests[0].headers.authorization).to.equal("Bearer test-token");
    expect(JSON.parse(requests[0].body)).to.deep.equal({ meters: [METER_A, METER_B], periods: [P] });

    await source.read();
    expect(JSON.parse(requests[1].body)).to.deep.equal({}); // no filter: everything the endpoint has
  });

  it("rejects a malformed record like the file source, naming the URL and the record, and keeps the others", async () => {
    handler = json(200, {
      readings: [
        record(METER_A, P + 1, { quality: "GREAT" }),
        record(METER_A, P),
        record(METER_B, P + 1, { energyWh: 1.5 }), // not asked for: dropped, like its readings
        { meter: "nobody", period: "soon" }, // names neither: kept, it may be one asked for
      ],
    });
    const batch = await new HttpMeterSource({ url, periodSeconds: T }).read({ meters: [METER_A], periods: [P, P + 1] });
    expect(batch.readings.map((r) => r.origin)).to.deep.equal([`${url} readings[1]`]);
    expect(batch.rejected).to.deep.equal([
      {
        origin: `${url} readings[0]`,
        problem: 'quality "GREAT" is not one of OK, MISSING, ESTIMATED, BAD',
        meter: METER_A,
        period: P + 1,
      },
      {
        origin: `${url} readings[3]`,
        problem: 'meter "nobody" is not an address (0x + 40 hex digits; mixed case must be a valid EIP-55 checksum)',
      },
    ]);
  });

  it("rejects an answer that is not JSON, or not {readings: […]}, as a whole, without throwing", async () => {
    handler = json(200, "<html><body>Service portal</body></html>");
    expect(await new HttpMeterSource({ url, periodSeconds: T }).read()).to.deep.equal({
      readings: [],
      rejected: [
        {
          origin: `${url} (answer line 1)`,
          problem: 'invalid JSON: expected a value, found "<html><body>" (the whole answer is skipped)',
        },
      ],
    });

    handler = json(200, [record(METER_A, P)]);
    const shape = await new HttpMeterSource({ url, periodSeconds: T }).read();
    expect(shape.rejected.map((r) => `${r.origin}: ${r.problem}`)).to.deep.equal([
      `${url} (answer line 1): expected {"readings": [ … ]}, got a JSON array (the whole answer is skipped)`,
    ]);
  });

  it("reports an HTTP error status with the start of the answer; 5xx/408/429 are transient for the retry layer", async () => {
    handler = json(503, { error: "head-end maintenance" });
    const unavailable = await rejection(new HttpMeterSource({ url, periodSeconds: T }).read());
    expect(unavailable).to.be.instanceOf(MeterSourceUnavailableError);
    expect(unavailable.message).to.equal(`${url}: HTTP 503 Service Unavailable: "{"error":"head-end maintenance"}"`);
    expect(isTransient(unavailable)).to.equal(true);
    for (const status of [408, 429, 500]) {
      handler = json(status, "");
      const e = await rejection(new HttpMeterSource({ url, periodSeconds: T }).read());
      expect([e instanceof MeterSourceUnavailableError, isTransient(e)], String(status)).to.deep.equal([true, true]);
    }

    // Another 4xx: the URL or the credentials are wrong, a setting, not worth asking again.
    for (const status of [400, 401, 403, 404]) {
      handler = json(status, "");
      const e = await rejection(new HttpMeterSource({ url, periodSeconds: T }).read());
      expect(e, String(status)).to.be.instanceOf(MeterSourceRefusedError).and.instanceOf(ConfigurationError);
      expect([isTransient(e), (e as MeterSourceRefusedError).code]).to.deep.equal([false, "SOURCE_REFUSED"]);
    }
    expect((await rejection(new HttpMeterSource({ url, periodSeconds: T }).read())).message).to.equal(
      `${url}: HTTP 404 Not Found`,
    );
  });

  it("retries nothing itself: the agent's retry layer gets past a transient failure", async () => {
    let calls = 0;
    handler = (request, body, response) => {
      calls++;
      if (calls === 1) json(503, "busy")(request, body, response);
      else json(200, { readings: [record(METER_A, P)] })(request, body, response);
    };
    const source = new HttpMeterSource({ url, periodSeconds: T });
    const log: string[] = [];
    const batch = await withRetry("read meters", () => source.read(), { baseDelayMs: 1, log: (l) => log.push(l) });
    expect(batch.readings).to.have.length(1);
    expect(calls).to.equal(2);
    expect(log[0]).to.match(/read meters: attempt 1 failed \(.*HTTP 503/);
  });

  it("names an unreachable endpoint (connection refused) as transient", async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const e = await rejection(new HttpMeterSource({ url, periodSeconds: T }).read());
    expect(e).to.be.instanceOf(MeterSourceUnavailableError);
    expect(e.message).to.equal(`${url}: unreachable (ECONNREFUSED)`);
    expect(isTransient(e)).to.equal(true);
    server = createServer(); // for afterEach
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  it("gives up after its timeout, naming the URL", async () => {
    handler = () => undefined; // never answers
    const e = await rejection(new HttpMeterSource({ url, periodSeconds: T, timeoutMs: 150 }).read());
    expect(e).to.be.instanceOf(MeterSourceUnavailableError);
    expect(e.message).to.equal(`${url}: no answer within 150 ms (timeout)`);
    expect(isTransient(e)).to.equal(true);
  });

  it("refuses a bad endpoint or options at construction", () => {
    expect(() => new HttpMeterSource({ url: "not a url", periodSeconds: T })).to.throw(
      RangeError,
      /"not a url" is not a URL/,
    );
    expect(() => new HttpMeterSource({ url: "ftp://127.0.0.1/x", periodSeconds: T })).to.throw(
      RangeError,
      /only http: and https:/,
    );
    expect(() => new HttpMeterSource({ url, periodSeconds: -1 })).to.throw(RangeError, /period length/);
    expect(() => new HttpMeterSource({ url, periodSeconds: T, timeoutMs: 0 })).to.throw(
      RangeError,
      /timeout must be positive/,
    );
  });
});
