/**
 * The file source: CSV, JSON and JSON-lines readings in a temporary directory; every malformed
 * record a RejectedRecord naming file:line, its problem and the meter and period it names, while
 * every other record is still read; a whole-file problem one RejectedRecord for the file; new
 * files and appended lines picked up on the next read.
 */
import { expect } from "chai";
import { appendFileSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeterSourceUnavailableError } from "../../../../oracle/agents/metering/errors";
import { FileMeterSource } from "../../../../oracle/agents/metering/file-source";
import type { ReadingBatch } from "../../../../oracle/agents/metering/types";

const T = 1800;
// EIP-55 checksummed forms of two made-up meter keys.
const METER_A = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const METER_B = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const SIG = `0x${"ab".repeat(65)}`;
const P = 947_396; // 2024-01-15 10:00–10:30 UTC
const END = (P + 1) * T; // 1 705 314 600 = 2024-01-15T10:30:00Z

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("file meter source", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-meters-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const readFile = (path: string): Promise<ReadingBatch> => new FileMeterSource({ path, periodSeconds: T }).read();
  const energies = (batch: ReadingBatch): bigint[] => batch.readings.map((r) => r.energyWh);

  it("reads CSV: columns in any order, energy or mean power, ISO or Unix timestamps, MISSING rows dropped", async () => {
    const path = write(
      "readings.csv",
      "\uFEFFquality,meter,period,energyWh,powerMw,timestamp,signature\r\n" +
        `OK,${METER_A},${P},1250000,,${END},\r\n` +
        "\r\n" +
        `ESTIMATED, ${METER_B.toLowerCase()} ,${P},,-0.75,2024-01-15T10:30:05Z,${SIG.toUpperCase().replace("0X", "0x")}\r\n` +
        `MISSING,${METER_A},${P + 1},,,${END + T},\n` +
        `BAD,${METER_A},${P + 2},-12,,2024-01-15T12:30:00+01:00,`,
    );
    const batch = await readFile(path);
    expect(batch.rejected).to.deep.equal([]);
    expect(batch.readings).to.deep.equal([
      { meter: METER_A, period: P, energyWh: 1_250_000n, quality: "OK", timestamp: END, origin: `${path}:2` },
      {
        meter: METER_B, // checksummed from lower case
        period: P,
        energyWh: -375_000n, // −0.75 MW × 0.5 h
        quality: "ESTIMATED",
        timestamp: END + 5,
        signature: SIG, // lower-case hex
        origin: `${path}:4`,
      },
      // Line 5 (MISSING) carries no value: nothing was measured, no reading.
      { meter: METER_A, period: P + 2, energyWh: -12n, quality: "BAD", timestamp: END + 2 * T, origin: `${path}:6` },
    ]);
  });

  it("reads a JSON document and names each record by its line", async () => {
    const path = write(
      "readings.json",
      JSON.stringify(
        {
          readings: [
            { meter: METER_A, period: P, energyWh: 1_250_000, quality: "OK", timestamp: END },
            {
              meter: METER_B,
              period: P,
              powerMw: 0.1,
              quality: "OK",
              timestamp: "2024-01-15T10:30:00Z",
              signature: SIG,
            },
            {
              meter: METER_B,
              period: P + 1,
              energyWh: "9007199254740993",
              quality: "OK",
              timestamp: END + T,
              signature: null,
            },
            { meter: METER_A, period: P + 1, quality: "MISSING", timestamp: END + T },
          ],
        },
        null,
        2,
      ),
    );
    const { readings, rejected } = await readFile(path);
    expect(rejected).to.deep.equal([]);
    expect(readings.map((r) => [r.meter, r.period, r.energyWh, r.origin])).to.deep.equal([
      [METER_A, P, 1_250_000n, `${path}:3`],
      [METER_B, P, 50_000n, `${path}:10`], // 0.1 MW × 0.5 h, from the digits "0.1"
      [METER_B, P + 1, 9_007_199_254_740_993n, `${path}:18`], // beyond 2^53: kept exact as a string
    ]);
    expect(readings[1].signature).to.equal(SIG);
    expect(readings[2]).to.not.have.property("signature");
  });

  it("reads JSON lines", async () => {
    const path = write(
      "readings.jsonl",
      `{"meter":"${METER_A}","period":${P},"energyWh":5,"quality":"OK","timestamp":${END}}\n\n` +
        `{"meter":"${METER_B}","period":${P},"powerMw":"2.3","quality":"BAD","timestamp":${END}}\n`,
    );
    expect((await readFile(path)).readings.map((r) => [r.energyWh, r.quality, r.origin])).to.deep.equal([
      [5n, "OK", `${path}:1`],
      [1_150_000n, "BAD", `${path}:3`],
    ]);
  });

  it("reads a directory, keeps what the query asks for, and picks up new files and lines on the next read", async () => {
    write("a.csv", `meter,period,energyWh,quality,timestamp\n${METER_A},${P},1,OK,${END}\n`);
    write("README.md", "not readings");
    write("b.csv.tmp", `meter,period,energyWh,quality,timestamp\n${METER_B},${P + 2},5,OK,${END + 2 * T}\n`);
    write(".hidden.csv", "ignored");
    const source = new FileMeterSource({ path: dir, periodSeconds: T });
    expect(source.description).to.equal(`meter readings in ${dir}`);
    expect(await source.read()).to.deep.equal({
      readings: [
        { meter: METER_A, period: P, energyWh: 1n, quality: "OK", timestamp: END, origin: join(dir, "a.csv:2") },
      ],
      rejected: [],
    });

    appendFileSync(join(dir, "a.csv"), `${METER_B},${P},2,OK,${END}\n${METER_A},${P + 1},3,OK,${END + T}\n`);
    write("b.jsonl", `{"meter":"${METER_B}","period":${P + 1},"energyWh":4,"quality":"OK","timestamp":${END + T}}\n`);
    expect(energies(await source.read())).to.deep.equal([1n, 2n, 3n, 4n]);

    expect(energies(await source.read({ meters: [METER_A.toLowerCase()] }))).to.deep.equal([1n, 3n]);
    expect(energies(await source.read({ periods: [P + 1] }))).to.deep.equal([3n, 4n]);
    expect((await source.read({ meters: [METER_B], periods: [P] })).readings.map((r) => r.origin)).to.deep.equal([
      `${join(dir, "a.csv")}:3`,
    ]);
    expect(await source.read({ meters: [], periods: [P] })).to.deep.equal({ readings: [], rejected: [] });

    // A writer that renames when done is seen once the name ends in .csv; a removed file is gone.
    renameSync(join(dir, "b.csv.tmp"), join(dir, "c.csv"));
    rmSync(join(dir, "b.jsonl"));
    expect(energies(await source.read())).to.deep.equal([1n, 2n, 3n, 5n]);
    await rejection(source.read({ meters: ["0x12"] })).then((e) =>
      expect(e.message).to.match(/meter "0x12" is not an address/),
    );
  });

  it("rejects each malformed CSV line on its own, naming file:line, the problem and the meter and period it gives", async () => {
    const header = "meter,period,energyWh,powerMw,quality,timestamp,signature";
    const row = (fields: Partial<Record<string, string>>) => {
      const f = {
        meter: METER_A,
        period: String(P),
        energyWh: "1000",
        powerMw: "",
        quality: "OK",
        timestamp: String(END),
        signature: "",
        ...fields,
      };
      return [f.meter, f.period, f.energyWh, f.powerMw, f.quality, f.timestamp, f.signature].join(",");
    };
    const A = { meter: METER_A, period: P }; // what a bad line names, read leniently
    const cases: [string, string, RegExp, { meter?: string; period?: number }][] = [
      ["field count", `${row({})},extra`, /^8 fields, but the header has 7 columns$/, A],
      ["quotes", `"${METER_A}",${P},1,,OK,${END},`, /^quoted fields are not supported/, A],
      ["fractional Wh", row({ energyWh: "12.5" }), /^energyWh must be a whole number of Wh, got "12\.5"$/, A],
      [
        "bad number",
        row({ energyWh: "", powerMw: "1.2.3" }),
        /^powerMw: power \(MW\) must be a decimal number, got "1\.2\.3"$/,
        A,
      ],
      ["both", row({ powerMw: "1" }), /^both energyWh and powerMw are given/, A],
      ["neither", row({ energyWh: "" }), /^neither energyWh nor powerMw is given/, A],
      ["quality word", row({ quality: "GOOD" }), /^quality "GOOD" is not one of OK, MISSING, ESTIMATED, BAD$/, A],
      ["quality case", row({ quality: "ok" }), /^quality "ok" is not one of/, A],
      ["no quality", row({ quality: "" }), /^quality is missing$/, A],
      ["short address", row({ meter: "0x1234" }), /^meter "0x1234" is not an address/, { period: P }],
      ["no 0x", row({ meter: METER_A.slice(2) }), /^meter "5aAeb.*" is not an address/, { period: P }],
      // The same 20 bytes with a wrong checksum: refused, but it does name meter A.
      ["bad checksum", row({ meter: METER_A.replace("aA", "Aa") }), /^meter "0x5Aaeb.*" is not an address.*EIP-55/, A],
      ["negative period", row({ period: "-3" }), /^period must not be negative, got -3$/, { meter: METER_A }],
      ["period range", row({ period: "4294967296" }), /^period 4294967296 does not fit a uint32$/, { meter: METER_A }],
      ["period word", row({ period: "p12" }), /^period must be a whole number, got "p12"$/, { meter: METER_A }],
      ["MISSING with value", row({ quality: "MISSING" }), /^a MISSING reading carries no value, but energyWh/, A],
      ["timestamp word", row({ timestamp: "yesterday" }), /^timestamp must be Unix seconds or ISO 8601 with a zone/, A],
      ["timestamp no zone", row({ timestamp: "2024-01-15T10:30:00" }), /^timestamp must be/, A],
      [
        "timestamp range",
        row({ timestamp: "99999999999999999" }),
        /^timestamp 99999999999999999 is not a Unix time$/,
        A,
      ],
      [
        "timestamp 1960",
        row({ timestamp: "1960-01-01T00:00:00Z" }),
        /^timestamp 1960-01-01T00:00:00Z is before 1970$/,
        A,
      ],
      ["timestamp date", row({ timestamp: "2024-02-30T10:30:00Z" }), /^timestamp must be/, A],
      ["signature", row({ signature: "0x1234" }), /^signature must be 0x followed by 130 hex digits/, A],
      ["int64", row({ energyWh: "9223372036854775808" }), /^energyWh 9223372036854775808 does not fit an int64$/, A],
    ];
    for (const [what, line, problem, named] of cases) {
      // The bad line between two good ones: both good ones are still read.
      const path = write(
        "bad.csv",
        `${header}\n${row({ period: String(P - 1) })}\n${line}\n${row({ period: String(P + 1) })}\n`,
      );
      const { readings, rejected } = await readFile(path);
      expect(
        readings.map((r) => r.period),
        what,
      ).to.deep.equal([P - 1, P + 1]);
      expect(rejected, what).to.have.length(1);
      const [{ origin, problem: text, ...rest }] = rejected;
      expect(origin, what).to.equal(`${path}:3`);
      expect(text, what).to.match(problem);
      expect(rest, what).to.deep.equal(named);
    }
  });

  it("skips a CSV file with a bad header as a whole: one RejectedRecord for the file", async () => {
    const cases: [string, string, RegExp][] = [
      ["unknown column", "meter,period,energyWh,quality,timestamp,kWh", /^header: unknown column "kWh"/],
      ["missing column", "period,energyWh,quality,timestamp", /^header: column "meter" is missing/],
      ["repeated column", "meter,meter,period,energyWh,quality,timestamp", /^header: column "meter" appears twice/],
      ["no value column", "meter,period,quality,timestamp", /^header: neither an "energyWh" nor a "powerMw" column/],
      ["quoted column", 'meter,"period",energyWh,quality,timestamp', /^header: quoted fields are not supported/],
    ];
    for (const [what, header, problem] of cases) {
      const path = write("bad.csv", `\n${header}\n${METER_A},${P},1,OK,${END}\n`);
      const { readings, rejected } = await readFile(path);
      expect(readings, what).to.deep.equal([]);
      expect(rejected, what).to.have.length(1);
      expect(rejected[0].origin, what).to.equal(`${path}:2`);
      expect(rejected[0].problem, what)
        .to.match(problem)
        .and.match(/\(the whole file is skipped\)$/);
      expect(rejected[0], what).to.not.have.keys("meter", "period");
    }
  });

  it("rejects malformed JSON records one by one, and a malformed JSON document as a whole", async () => {
    const ok = `{"meter":"${METER_A}","period":${P},"energyWh":1,"quality":"OK","timestamp":${END}}`;
    const WHOLE = "whole file";
    const cases: [string, string, string, string, RegExp, { meter?: string; period?: number } | typeof WHOLE][] = [
      [
        "syntax",
        "r.json",
        `{\n  "readings": [\n    ${ok},\n    {"meter": }\n  ]\n}`,
        "r.json:4",
        /^invalid JSON: expected a value, found "}/,
        WHOLE,
      ],
      [
        "truncated",
        "r.json",
        `{\n  "readings": [\n    ${ok}`,
        "r.json:3",
        /^invalid JSON: expected "," or "\]" after an array element, found end of input/,
        WHOLE,
      ],
      ["top level", "r.json", `[${ok}]`, "r.json:1", /^expected \{"readings": \[ … \]\}, got a JSON array/, WHOLE],
      ["unknown key", "r.json", `{\n"readings": [${ok}],\n"meters": []\n}`, "r.json:3", /^unknown key "meters"/, WHOLE],
      [
        "repeated key",
        "r.json",
        `{"readings": [],\n"readings": [${ok}]}`,
        "r.json:2",
        /^invalid JSON: duplicate key "readings"/,
        WHOLE,
      ],
      ["no readings", "r.json", "{}", "r.json:1", /^no "readings" array/, WHOLE],
      [
        "not an array",
        "r.json",
        `{"readings": {}}`,
        "r.json:1",
        /^"readings" must be an array, got a JSON object/,
        WHOLE,
      ],
      // Records: the bad one is refused, the good one before it is read.
      [
        "not an object",
        "r.json",
        `{"readings": [\n${ok},\n42]}`,
        "r.json:3",
        /^expected a reading object, got a JSON number$/,
        {},
      ],
      [
        "duplicate key",
        "r.json",
        `{"readings": [${ok},\n{"meter":"${METER_A}","period":${P + 1},\n"meter":"${METER_B}"}]}`,
        "r.json:2",
        /^invalid JSON: duplicate key "meter" \(line 3\)$/,
        { meter: METER_A, period: P + 1 }, // the first value of a repeated key
      ],
      [
        "unknown field",
        "r.json",
        `{"readings": [${ok},\n{"meter":"${METER_A}","kwh":1}]}`,
        "r.json:2",
        /^unknown field "kwh"/,
        { meter: METER_A },
      ],
      [
        "meter as number",
        "r.json",
        `{"readings": [${ok},\n\n{"meter":12,"period":1,"energyWh":1,"quality":"OK","timestamp":1}]}`,
        "r.json:3",
        /^meter must be a string, got "12"$/,
        { period: 1 },
      ],
      [
        "quality as boolean",
        "r.json",
        `{"readings":[${ok},{"meter":"${METER_A}","period":"1","energyWh":1,"quality":true,"timestamp":1}]}`,
        "r.json:1",
        /^quality must be a string, got a JSON boolean$/,
        { meter: METER_A, period: 1 },
      ],
      [
        "fraction",
        "r.json",
        `{"readings":[${ok},{"meter":"${METER_A.toLowerCase()}","period":1.5,"energyWh":1,"quality":"OK","timestamp":1}]}`,
        "r.json:1",
        /^period must be a whole number, got "1\.5"$/,
        { meter: METER_A },
      ],
      ["jsonl syntax", "r.jsonl", `{"meter":\n${ok}\n`, "r.jsonl:1", /^invalid JSON: expected a value/, {}],
      ["jsonl array", "r.jsonl", `${ok}\n[1]\n`, "r.jsonl:2", /^expected a reading object, got a JSON array$/, {}],
      [
        "jsonl field",
        "r.jsonl",
        `${ok}\n${ok.replace('"OK"', '"SUSPECT"')}\n`,
        "r.jsonl:2",
        /^quality "SUSPECT" is not one of/,
        { meter: METER_A, period: P },
      ],
    ];
    for (const [what, name, text, origin, problem, named] of cases) {
      const path = write(name, text);
      const { readings, rejected } = await readFile(path);
      expect(rejected, what).to.have.length(1);
      const [{ origin: at, problem: said, ...rest }] = rejected;
      expect(at, what).to.equal(join(dir, origin));
      expect(said, what).to.match(problem);
      if (named === WHOLE) {
        expect(readings, what).to.deep.equal([]);
        expect(said, what).to.match(/\(the whole file is skipped\)$/);
        expect(rest, what).to.deep.equal({});
      } else {
        expect(energies({ readings, rejected }), what).to.deep.equal([1n]); // the good record beside it
        expect(rest, what).to.deep.equal(named);
      }
      rmSync(path);
    }
  });

  it("does not attribute a last line without its newline (it may be half-written), and reads it once complete", async () => {
    const path = write(
      "live.csv",
      `meter,period,energyWh,quality,timestamp\n${METER_A},${P},1,OK,${END}\n${METER_B},${P},12`,
    );
    const source = new FileMeterSource({ path: dir, periodSeconds: T });
    const first = await source.read();
    expect(energies(first)).to.deep.equal([1n]);
    expect(first.rejected).to.deep.equal([
      {
        origin: `${path}:3`,
        problem: "3 fields, but the header has 5 columns (the last line has no newline yet: it may be half-written)",
      },
    ]);
    appendFileSync(path, `,OK,${END}\n`);
    expect(await source.read()).to.deep.include({ rejected: [] });
    expect(energies(await source.read())).to.deep.equal([1n, 12n]);
    // A complete last line without a newline is read as it is.
    const jsonl = write(
      "x.jsonl",
      `{"meter":"${METER_A}","period":${P + 1},"energyWh":5,"quality":"OK","timestamp":${END + T}}`,
    );
    expect((await readFile(jsonl)).readings.map((r) => r.energyWh)).to.deep.equal([5n]);
  });

  it("throws only when the path cannot be read at all; an unsupported or unreadable file is a RejectedRecord", async () => {
    const missing = join(dir, "nope");
    const e = await rejection(readFile(missing));
    expect(e).to.be.instanceOf(MeterSourceUnavailableError);
    expect(e.message).to.equal(`${missing}: no such file or directory`);
    const txt = write("readings.txt", "x");
    expect(await readFile(txt)).to.deep.equal({
      readings: [],
      rejected: [
        { origin: txt, problem: "unsupported file type: use .csv, .json, .jsonl, .ndjson (the whole file is skipped)" },
      ],
    });
    expect(() => new FileMeterSource({ path: dir, periodSeconds: 0 })).to.throw(RangeError, /period length/);
    // A file of the directory that cannot be read (here a link to itself) spoils only itself.
    rmSync(txt);
    write("a.csv", `meter,period,energyWh,quality,timestamp\n${METER_A},${P},1,OK,${END}\n`);
    symlinkSync(join(dir, "loop.csv"), join(dir, "loop.csv"));
    const batch = await new FileMeterSource({ path: dir, periodSeconds: T }).read();
    expect(energies(batch)).to.deep.equal([1n]);
    expect(batch.rejected).to.deep.equal([
      { origin: join(dir, "loop.csv"), problem: "cannot read (ELOOP) (the whole file is skipped)" },
    ]);
  });

  it("a directory with a quoted field, an extra field, bad JSON and a duplicate row: every good reading is read, each problem named", async () => {
    const header = "meter,period,energyWh,quality,timestamp";
    const good = write("a.csv", `${header}\n${METER_A},${P},1,OK,${END}\n${METER_B},${P},2,OK,${END}\n`);
    const mixed = write(
      "b.csv",
      `${header}\n` +
        `${METER_A},${P + 1},3,OK,${END + T}\n` +
        `"${METER_B}",${P + 1},4,OK,${END + T}\n` + // quoted field
        `${METER_A},${P + 2},5,OK,${END + 2 * T},extra\n` + // extra field
        `${METER_B},${P + 2},6,OK,${END + 2 * T}\n` +
        `${METER_B},${P + 2},6,OK,${END + 2 * T}\n`, // duplicate row: a reading, for screening
    );
    const badJson = write("c.json", `{"readings": [\n{"meter": "${METER_A}", "period": ${P + 3},, }\n]}`);
    const jsonl = write(
      "d.jsonl",
      `{"meter":"${METER_A}","period":${P + 3},"energyWh":7,"quality":"OK","timestamp":${END + 3 * T}}\n`,
    );
    const batch = await new FileMeterSource({ path: dir, periodSeconds: T }).read();
    expect(batch.readings.map((r) => [r.energyWh, r.origin])).to.deep.equal([
      [1n, `${good}:2`],
      [2n, `${good}:3`],
      [3n, `${mixed}:2`],
      [6n, `${mixed}:5`],
      [6n, `${mixed}:6`],
      [7n, `${jsonl}:1`],
    ]);
    expect(batch.rejected).to.deep.equal([
      {
        origin: `${mixed}:3`,
        problem: "quoted fields are not supported (no field needs quotes)",
        meter: METER_B,
        period: P + 1,
      },
      { origin: `${mixed}:4`, problem: "6 fields, but the header has 5 columns", meter: METER_A, period: P + 2 },
      {
        origin: `${badJson}:2`,
        problem: 'invalid JSON: expected a "key", found ", } ]}" (the whole file is skipped)',
      },
    ]);
  });
});
