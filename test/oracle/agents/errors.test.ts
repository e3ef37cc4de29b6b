/**
 * The agents layer's errors are of the classes every layer shares, so that an agent tells them
 * apart by class (`errorKind`, `isTransient`), never by their words: bad meter data and a bad
 * state file stop an agent (input, configuration), a meter source that does not answer is retried
 * (transport). scripts/agent-common.test.ts shows the loop acting on each.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../../oracle/errors";
import { ConfigurationError, errorKind, isTransient, TransportError } from "../../../oracle/chain/errors";
import {
  DuplicateReadingError,
  MeterDataError,
  MeterFormatError,
  MeterSourceRefusedError,
  isMeterSourceError,
  MeterSourceUnavailableError,
  ReadingSignatureError,
} from "../../../oracle/agents/metering/errors";
import { StateFile, StateFileError } from "../../../oracle/agents/state";

const METER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("the agents' typed errors: metering and state files", () => {
  describe("metering (oracle/agents/metering/errors.ts)", () => {
    const format = new MeterFormatError("readings.csv:12", 'energyWh "12,5" is not a whole number');
    const duplicate = new DuplicateReadingError(METER, 7, ["a.csv:2", "http://hub/r readings[0]"]);
    const signature = new ReadingSignatureError("missing", METER, 7, "readings.csv:3", "the reading is not signed");
    const unavailable = new MeterSourceUnavailableError("http://meters", "unreachable (ECONNREFUSED)");

    it("bad meter data is an InputError naming where it came from: an agent stops on it", () => {
      for (const e of [format, duplicate, signature]) {
        expect(e, e.name).to.be.instanceOf(MeterDataError).and.instanceOf(InputError);
        expect(e, e.name).not.to.be.instanceOf(TransportError);
        expect([errorKind(e), isTransient(e)], e.name).to.deep.equal(["input", false]);
      }
      expect([format.message, format.source, format.origin, format.problem, format.code]).to.deep.equal([
        'readings.csv:12: energyWh "12,5" is not a whole number',
        "readings.csv:12",
        "readings.csv:12",
        'energyWh "12,5" is not a whole number',
        "MALFORMED_READING",
      ]);
      // The problem names both origins: the message does not start with the first.
      expect([duplicate.message, duplicate.origin, duplicate.source]).to.deep.equal([
        `meter ${METER}, period 7: read more than once (a.csv:2, http://hub/r readings[0])`,
        "a.csv:2",
        undefined,
      ]);
      expect([signature.message, signature.kind, signature.code, signature.problem]).to.deep.equal([
        `readings.csv:3: meter ${METER}, period 7: the reading is not signed`,
        "missing",
        "MISSING_SIGNATURE",
        `meter ${METER}, period 7: the reading is not signed`,
      ]);
    });

    it("a source that does not answer is a TransportError, whatever its words: an agent retries it", () => {
      for (const e of [
        unavailable,
        new MeterSourceUnavailableError("/data/meters", "cannot list the directory (EACCES)"),
        new MeterSourceUnavailableError("/data/meters", "no such file or directory"),
      ]) {
        expect(e, e.message).to.be.instanceOf(TransportError).and.not.instanceOf(InputError);
        expect([errorKind(e), isTransient(e)], e.message).to.deep.equal(["transport", true]);
      }
      expect([unavailable.name, unavailable.message, unavailable.code, unavailable.origin]).to.deep.equal([
        "MeterSourceUnavailableError",
        "http://meters: unreachable (ECONNREFUSED)",
        "SOURCE_UNAVAILABLE",
        "http://meters",
      ]);
      const cause = new Error("connect ECONNREFUSED");
      expect(new MeterSourceUnavailableError("http://meters", "unreachable", { cause }).cause).to.equal(cause);
    });

    it("an endpoint that refuses the request (HTTP 4xx) is a ConfigurationError: an agent stops on it", () => {
      const refused = new MeterSourceRefusedError("http://meters", "HTTP 401 Unauthorized");
      expect(refused).to.be.instanceOf(ConfigurationError).and.not.instanceOf(TransportError);
      expect([errorKind(refused), isTransient(refused), refused.code, refused.message]).to.deep.equal([
        "configuration",
        false,
        "SOURCE_REFUSED",
        "http://meters: HTTP 401 Unauthorized",
      ]);
    });

    it("a source's errors are not bad data: told apart by isMeterSourceError, never a MeterDataError", () => {
      expect(unavailable).not.to.be.instanceOf(MeterDataError);
      expect(isMeterSourceError(unavailable)).to.equal(true);
      expect(isMeterSourceError(new MeterSourceRefusedError("http://meters", "HTTP 404 Not Found"))).to.equal(true);
      expect(isMeterSourceError(format)).to.equal(false);
      expect(format).not.to.be.instanceOf(DuplicateReadingError);
    });
  });

  describe("state files (oracle/agents/state.ts)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "gridswap-state-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const open = (path: string): StateFile<{ n: number }> => new StateFile(path, () => ({ n: 0 }), 2);

    function refusal(path: string): StateFileError {
      try {
        open(path);
      } catch (e) {
        expect(e).to.be.instanceOf(StateFileError).and.instanceOf(ConfigurationError);
        expect([errorKind(e), isTransient(e)]).to.deep.equal(["configuration", false]);
        return e as StateFileError;
      }
      throw new Error(`expected ${path} to be refused`);
    }

    it("a file that is not a state of this version: a ConfigurationError naming the file and the problem", () => {
      const cases: [string, string | undefined, RegExp][] = [
        ["not JSON", "{ version: 2", /^not valid JSON \(.+\): move it away to start afresh$/],
        ["an array", "[1, 2]", /^not a state \(\{"version", "state"\}\): move it away/],
        ["null", "null", /^not a state/],
        ["another version", '{"version": 1, "state": {"n": 1}}', /^format version 1, this agent reads version 2: /],
        ["no version", '{"state": {"n": 1}}', /^format version undefined, this agent reads version 2: /],
        ["no state", '{"version": 2}', /^no "state" object: move it away to start afresh$/],
        ["a directory", undefined, /^cannot read it \(EISDIR\)$/],
      ];
      for (const [what, text, problem] of cases) {
        const path = join(dir, `${what.replace(/ /g, "-")}.json`);
        if (text === undefined) mkdirSync(path);
        else writeFileSync(path, text);
        const e = refusal(path);
        expect(e.problem, what).to.match(problem);
        expect([e.path, e.message], what).to.deep.equal([path, `state file ${path}: ${e.problem}`]);
      }
    });

    it("reads back what it saved, and starts afresh without a file", () => {
      const path = join(dir, "agent.json");
      expect(open(path).data).to.deep.equal({ n: 0 });
      open(path).save({ n: 7 });
      expect(open(path).data).to.deep.equal({ n: 7 });
    });
  });
});
