/**
 * The file source: CSV, JSON and JSON-lines readings in a temporary directory; every malformed
 * line named file:line with its problem; new files and appended lines picked up on the next read.
 */
import { expect } from "chai";
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeterFormatError, MeterSourceUnavailableError } from "../../../../oracle/agents/metering/errors";
import { FileMeterSource } from "../../../../oracle/agents/metering/file-source";
import type { MeterReading } from "../../../../oracle/agents/metering/types";

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
  const readFile = (path: string): Promise<MeterReading[]> => new FileMeterSource({ path, periodSeconds: T }).read();

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
    expect(await readFile(path)).to.deep.equal([
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
    const readings = await readFile(path);
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
    expect((await readFile(path)).map((r) => [r.energyWh, r.quality, r.origin])).to.deep.equal([
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
    expect((await source.read()).map((r) => r.energyWh)).to.deep.equal([1n]);

    appendFileSync(join(dir, "a.csv"), `${METER_B},${P},2,OK,${END}\n${METER_A},${P + 1},3,OK,${END + T}\n`);
    write("b.jsonl", `{"meter":"${METER_B}","period":${P + 1},"energyWh":4,"quality":"OK","timestamp":${END + T}}\n`);
    expect((await source.read()).map((r) => r.energyWh)).to.deep.equal([1n, 2n, 3n, 4n]);

    expect((await source.read({ meters: [METER_A.toLowerCase()] })).map((r) => r.energyWh)).to.deep.equal([1n, 3n]);
    expect((await source.read({ periods: [P + 1] })).map((r) => r.energyWh)).to.deep.equal([3n, 4n]);
    expect((await source.read({ meters: [METER_B], periods: [P] })).map((r) => r.origin)).to.deep.equal([
      `${join(dir, "a.csv")}:3`,
    ]);
    expect(await source.read({ meters: [], periods: [P] })).to.deep.equal([]);

    // A writer that renames when done is seen once the name ends in .csv; a removed file is gone.
    renameSync(join(dir, "b.csv.tmp"), join(dir, "c.csv"));
    rmSync(join(dir, "b.jsonl"));
    expect((await source.read()).map((r) => r.energyWh)).to.deep.equal([1n, 2n, 3n, 5n]);
    await rejection(source.read({ meters: ["0x12"] })).then((e) =>
      expect(e.message).to.match(/meter "0x12" is not an address/),
    );
  });

  it("names the file and line of every malformed CSV line, and the problem", async () => {
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
    const cases: [string, string, RegExp][] = [
      ["unknown column", "meter,period,energyWh,quality,timestamp,kWh", /:1: header: unknown column "kWh"/],
      ["missing column", "period,energyWh,quality,timestamp", /:1: header: column "meter" is missing/],
      ["repeated column", "meter,meter,period,energyWh,quality,timestamp", /:1: header: column "meter" appears twice/],
      ["no value column", "meter,period,quality,timestamp", /:1: header: neither an "energyWh" nor a "powerMw" column/],
      ["field count", `${header}\n${row({})},extra`, /:2: 8 fields, but the header has 7 columns/],
      ["quotes", `${header}\n"${METER_A}",${P},1,,OK,${END},`, /:2: quoted fields are not supported/],
      [
        "fractional Wh",
        `${header}\n${row({ energyWh: "12.5" })}`,
        /:2: energyWh must be a whole number of Wh, got "12\.5"/,
      ],
      [
        "bad number",
        `${header}\n${row({ energyWh: "", powerMw: "1.2.3" })}`,
        /:2: powerMw: power \(MW\) must be a decimal number, got "1\.2\.3"/,
      ],
      ["both", `${header}\n${row({ powerMw: "1" })}`, /:2: both energyWh and powerMw are given/],
      ["neither", `${header}\n${row({ energyWh: "" })}`, /:2: neither energyWh nor powerMw is given/],
      [
        "quality word",
        `${header}\n${row({ quality: "GOOD" })}`,
        /:2: quality "GOOD" is not one of OK, MISSING, ESTIMATED, BAD/,
      ],
      ["quality case", `${header}\n${row({ quality: "ok" })}`, /:2: quality "ok" is not one of/],
      ["no quality", `${header}\n${row({ quality: "" })}`, /:2: quality is missing/],
      ["short address", `${header}\n${row({ meter: "0x1234" })}`, /:2: meter "0x1234" is not an address/],
      ["no 0x", `${header}\n${row({ meter: METER_A.slice(2) })}`, /:2: meter "5aAeb.*" is not an address/],
      [
        "bad checksum",
        `${header}\n${row({ meter: METER_A.replace("aA", "Aa") })}`,
        /:2: meter "0x5Aaeb.*" is not an address.*EIP-55/,
      ],
      ["negative period", `${header}\n${row({ period: "-3" })}`, /:2: period must not be negative, got -3/],
      ["period range", `${header}\n${row({ period: "4294967296" })}`, /:2: period 4294967296 does not fit a uint32/],
      ["period word", `${header}\n${row({ period: "p12" })}`, /:2: period must be a whole number, got "p12"/],
      [
        "MISSING with value",
        `${header}\n${row({ quality: "MISSING" })}`,
        /:2: a MISSING reading carries no value, but energyWh is given/,
      ],
      [
        "timestamp word",
        `${header}\n${row({ timestamp: "yesterday" })}`,
        /:2: timestamp must be Unix seconds or ISO 8601 with a zone/,
      ],
      ["timestamp no zone", `${header}\n${row({ timestamp: "2024-01-15T10:30:00" })}`, /:2: timestamp must be/],
      [
        "timestamp range",
        `${header}\n${row({ timestamp: "99999999999999999" })}`,
        /:2: timestamp 99999999999999999 is not a Unix time/,
      ],
      [
        "timestamp 1960",
        `${header}\n${row({ timestamp: "1960-01-01T00:00:00Z" })}`,
        /:2: timestamp 1960-01-01T00:00:00Z is before 1970/,
      ],
      ["timestamp date", `${header}\n${row({ timestamp: "2024-02-30T10:30:00Z" })}`, /:2: timestamp must be/],
      [
        "signature",
        `${header}\n${row({ signature: "0x1234" })}`,
        /:2: signature must be 0x followed by 130 hex digits/,
      ],
      [
        "int64",
        `${header}\n${row({ energyWh: "9223372036854775808" })}`,
        /:2: energyWh 9223372036854775808 does not fit an int64/,
      ],
    ];
    for (const [what, text, message] of cases) {
      const path = write("bad.csv", `${text}\n${row({ period: String(P + 1) })}\n`);
      const e = await rejection(readFile(path));
      expect(e, what).to.be.instanceOf(MeterFormatError);
      expect(e.message, what).to.match(message);
      expect(e.message.startsWith(`${path}:`), what).to.equal(true);
      expect((e as MeterFormatError).code, what).to.equal("MALFORMED_READING");
    }
  });

  it("names the file and line of malformed JSON and JSON-lines records", async () => {
    const ok = `{"meter":"${METER_A}","period":${P},"energyWh":1,"quality":"OK","timestamp":${END}}`;
    const cases: [string, string, string, RegExp][] = [
      [
        "syntax",
        "r.json",
        `{\n  "readings": [\n    ${ok},\n    {"meter": }\n  ]\n}`,
        /r\.json:4: invalid JSON: expected a value, found "}/,
      ],
      [
        "truncated",
        "r.json",
        `{\n  "readings": [\n    ${ok}`,
        /r\.json:3: invalid JSON: expected "," or "\]" after an array element, found end of input/,
      ],
      [
        "duplicate key",
        "r.json",
        `{"readings": [\n{"meter":"${METER_A}",\n"meter":"${METER_B}"}]}`,
        /r\.json:3: invalid JSON: duplicate key "meter"/,
      ],
      ["top level", "r.json", `[${ok}]`, /r\.json:1: expected \{"readings": \[ … \]\}, got a JSON array/],
      ["unknown key", "r.json", `{\n"readings": [],\n"meters": []\n}`, /r\.json:3: unknown key "meters"/],
      ["no readings", "r.json", "{}", /r\.json:1: no "readings" array/],
      ["not an array", "r.json", `{"readings": {}}`, /r\.json:1: "readings" must be an array, got a JSON object/],
      [
        "not an object",
        "r.json",
        `{"readings": [\n${ok},\n42]}`,
        /r\.json:3: expected a reading object, got a JSON number/,
      ],
      ["unknown field", "r.json", `{"readings": [\n{"meter":"${METER_A}","kwh":1}]}`, /r\.json:2: unknown field "kwh"/],
      [
        "meter as number",
        "r.json",
        `{"readings": [\n\n{"meter":12,"period":1,"energyWh":1,"quality":"OK","timestamp":1}]}`,
        /r\.json:3: meter must be a string, got "12"/,
      ],
      [
        "quality as boolean",
        "r.json",
        `{"readings":[{"meter":"${METER_A}","period":1,"energyWh":1,"quality":true,"timestamp":1}]}`,
        /r\.json:1: quality must be a string, got a JSON boolean/,
      ],
      [
        "fraction",
        "r.json",
        `{"readings":[{"meter":"${METER_A}","period":1.5,"energyWh":1,"quality":"OK","timestamp":1}]}`,
        /r\.json:1: period must be a whole number, got "1\.5"/,
      ],
      ["jsonl syntax", "r.jsonl", `${ok}\n${ok}\n{"meter":`, /r\.jsonl:3: invalid JSON/],
      ["jsonl array", "r.jsonl", `${ok}\n[1]`, /r\.jsonl:2: expected a reading object, got a JSON array/],
      [
        "jsonl field",
        "r.jsonl",
        `${ok}\n${ok.replace('"OK"', '"SUSPECT"')}`,
        /r\.jsonl:2: quality "SUSPECT" is not one of/,
      ],
    ];
    for (const [what, name, text, message] of cases) {
      const path = write(name, text);
      const e = await rejection(readFile(path));
      expect(e, what).to.be.instanceOf(MeterFormatError);
      expect(e.message, what).to.match(message);
      rmSync(path);
    }
  });

  it("fails clearly on a path that is not there or a file it cannot read", async () => {
    const missing = join(dir, "nope");
    const e = await rejection(readFile(missing));
    expect(e).to.be.instanceOf(MeterSourceUnavailableError);
    expect(e.message).to.equal(`${missing}: no such file or directory`);
    const txt = write("readings.txt", "x");
    expect((await rejection(readFile(txt))).message).to.equal(
      `${txt}: unsupported file type: use .csv, .json, .jsonl, .ndjson`,
    );
    expect(() => new FileMeterSource({ path: dir, periodSeconds: 0 })).to.throw(RangeError, /period length/);
  });

  it("a directory with one bad file fails as a whole, naming that file", async () => {
    write("a.csv", `meter,period,energyWh,quality,timestamp\n${METER_A},${P},1,OK,${END}\n`);
    const bad = write(
      "b.csv",
      `meter,period,energyWh,quality,timestamp\n${METER_A},${P},1,OK,${END}\n${METER_B},-1,1,OK,${END}\n`,
    );
    const e = await rejection(new FileMeterSource({ path: dir, periodSeconds: T }).read());
    expect(e.message).to.equal(`${bad}:3: period must not be negative, got -1`);
  });
});
