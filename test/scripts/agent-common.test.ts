/**
 * The agents' supervised loop (scripts/agent-common.ts) acts on a failure's class: bad input and a
 * bad setting stop the agent with one line (exit 1), transport failures are retried until the
 * node answers, and any other failure is reported once and the agent carries on.
 */
import { expect } from "chai";
import { makeError } from "ethers";
import { runAgentLoop } from "../../scripts/agent-common";
import { InputError } from "../../oracle/errors";
import { CaseDataError } from "../../oracle/grid/errors";
import { ConfigurationError, RevertError, TransportError } from "../../oracle/chain/errors";
import {
  DuplicateReadingError,
  MeterFormatError,
  MeterSourceRefusedError,
  MeterSourceUnavailableError,
  ReadingSignatureError,
} from "../../oracle/agents/metering/errors";
import { StateFileError } from "../../oracle/agents/state";

interface Run {
  readonly code: number;
  readonly steps: number;
  readonly stderr: string[];
  readonly log: string[];
}

/** Runs the loop with `step` failing as `failures` says (then succeeding), up to `maxSteps` steps. */
async function run(failures: unknown[], options: { once?: boolean; maxSteps?: number } = {}): Promise<Run> {
  const stderr: string[] = [];
  const log: string[] = [];
  const write = process.stderr.write;
  const controller = { steps: 0 };
  process.stderr.write = ((chunk: string) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runAgentLoop(
      { name: "agent", once: options.once ?? false, intervalSeconds: 0.001, log: (l) => log.push(l) },
      async () => "agent",
      async () => {
        const k = controller.steps++;
        if (k >= (options.maxSteps ?? failures.length + 1)) process.emit("SIGTERM");
        if (k < failures.length) throw failures[k];
      },
    );
    return { code, steps: controller.steps, stderr, log };
  } finally {
    process.stderr.write = write;
  }
}

describe("the agents' loop: what each kind of failure does (scripts/agent-common.ts)", () => {
  it("bad input (a case, a forecast) stops the agent with one line, exit 1", async () => {
    for (const e of [
      new InputError("forecast for bus 9: the case has no such bus"),
      new CaseDataError("bus row 2, column 3: value is NaN", "seed34.json"),
    ]) {
      const r = await run([e]);
      expect(r.code).to.equal(1);
      expect(r.steps, "not retried").to.equal(1);
      expect(r.stderr).to.deep.equal([`agent: ${e.message}\n`]);
    }
  });

  it("bad meter data stops the agent with one line, exit 1, whatever its words", async () => {
    const meter = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    for (const e of [
      new MeterFormatError("readings.csv:4", "energyWh is not a number (timeout)"),
      new DuplicateReadingError(meter, 7, ["a.csv:2", "b.csv:2"]),
      new ReadingSignatureError("bad", meter, 7, "http://hub/r readings[0]", "the signature is not 65 bytes"),
    ]) {
      const r = await run([e]);
      expect([r.code, r.steps], e.name).to.deep.equal([1, 1]);
      expect(r.stderr, e.name).to.deep.equal([`agent: ${e.message}\n`]);
    }
  });

  it("a bad setting stops the agent with one line, exit 1", async () => {
    const r = await run([new ConfigurationError("the case's periods are 15 min but the oracle's are 30 min")]);
    expect([r.code, r.steps]).to.deep.equal([1, 1]);
    expect(r.stderr).to.deep.equal(["agent: the case's periods are 15 min but the oracle's are 30 min\n"]);
    for (const e of [
      new StateFileError("centre.json", "not valid JSON (Unexpected end of JSON input)"),
      new MeterSourceRefusedError("http://meters", "HTTP 401 Unauthorized"),
    ]) {
      expect(await run([e]), e.name).to.deep.include({ code: 1, steps: 1, stderr: [`agent: ${e.message}\n`] });
    }
  });

  it("a meter source that does not answer is retried like the node, whatever its words", async () => {
    const r = await run([
      new MeterSourceUnavailableError("http://meters", "HTTP 503 Service Unavailable"),
      new MeterSourceUnavailableError("/data/meters", "no such file or directory"),
    ]);
    expect([r.code, r.stderr]).to.deep.equal([0, []]);
    expect(r.steps).to.be.at.least(3);
    expect(r.log.filter((l) => /unreachable \(http:\/\/meters: HTTP 503/.test(l))).to.have.length(1);
  });

  it("transport failures (typed or raw) are retried, said once, and the recovery said once", async () => {
    const r = await run([
      new TransportError("no answer within 10 s (timeout)"),
      makeError("could not detect network", "NETWORK_ERROR"),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }),
    ]);
    expect(r.code).to.equal(0);
    expect(r.steps).to.be.at.least(4);
    expect(r.stderr).to.deep.equal([]);
    expect(r.log.filter((l) => /node unreachable/.test(l))).to.have.length(1);
    expect(r.log.filter((l) => /node reachable again/.test(l))).to.have.length(1);
  });

  it("a revert or another failure is reported once per message, and the agent carries on", async () => {
    const revert = new RevertError("OfferNotOpen", [`0x${"ab".repeat(32)}`, 2n], undefined, undefined);
    const r = await run([revert, revert, new Error("LP solver gave up")]);
    expect(r.code).to.equal(0);
    expect(r.steps).to.be.at.least(4);
    expect(r.stderr).to.have.length(2);
    expect(r.stderr[0]).to.match(/agent: step failed: transaction reverted: OfferNotOpen\(0xabab/);
    expect(r.stderr[1]).to.match(/agent: step failed: LP solver gave up\n$/);
  });

  it("--once: any failure is exit 1 with one line", async () => {
    const r = await run([new TransportError("no answer")], { once: true });
    expect([r.code, r.steps, r.stderr]).to.deep.equal([1, 1, ["agent: no answer\n"]]);
    expect((await run([], { once: true })).code).to.equal(0);
  });
});
