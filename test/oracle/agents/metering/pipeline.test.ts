/**
 * The metering chain as the centre will run it: the GridOracle's EIP-712 domain read from the
 * contract; generator 27's meter writes signed CSV files, generator 30's meter answers over HTTP;
 * the readings each baseline needs are read from both sources, screened with signatures
 * required, turned into measurements and committed to with the readings hash.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ethers } from "hardhat";
import { keccak256, toUtf8Bytes, Wallet, type TypedDataDomain } from "ethers";
import {
  FileMeterSource,
  HttpMeterSource,
  measureDeliveries,
  mergeBatches,
  readEip712Domain,
  readingPeriods,
  readingsHash,
  screenReadings,
  signReading,
  type BaselineSpec,
  type MeterSource,
} from "../../../../oracle/agents/metering";

const T = 1800;
const P = 947_396; // Monday 2024-01-15 10:00–10:30 UTC
const DAYS = [947_252, 947_204, 947_156, 947_108, 947_060]; // the same slot, Fri 12th back to Mon 8th
const meter27 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 27")));
const meter30 = new Wallet(keccak256(toUtf8Bytes("gridswap test meter 30")));
const GEN27 = "0x000000000000000000000000000000000000a027";
const GEN30 = "0x000000000000000000000000000000000000A030";

describe("metering pipeline: sources → screening → measurements → readings hash", () => {
  let dir: string;
  let server: Server;
  let domain: TypedDataDomain;
  let served: object[];

  before(async () => {
    // A one-signer oracle (the registry is only an address: reading the domain never calls it).
    const [signer, registry] = await ethers.getSigners();
    const oracle = await ethers.deployContract("GridOracle", [[signer.address], 1, 1800, 1800, registry.address]);
    domain = await readEip712Domain(ethers.provider, await oracle.getAddress());
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-pipeline-"));
    // Generator 27: mean MW per period, one CSV file per day, signed over the Wh the file implies.
    const rows27: [number, string, bigint][] = [
      [DAYS[0], "2.4", 1_200_000n],
      [DAYS[1], "2.0", 1_000_000n],
      [DAYS[2], "2.2", 1_100_000n],
      [DAYS[3], "1.8", 900_000n],
      [DAYS[4], "2.6", 1_300_000n],
      [P, "1.6", 800_000n],
    ];
    for (const [period, mw, wh] of rows27) {
      const timestamp = (period + 1) * T + 2;
      const signature = await signReading(meter27, domain, GEN27, {
        meter: meter27.address,
        period,
        energyWh: wh,
        quality: "OK",
        timestamp,
      });
      writeFileSync(
        join(dir, `day-${Math.floor(period / 48)}.csv`),
        `meter,period,powerMw,quality,timestamp,signature\n${meter27.address},${period},${mw},OK,${timestamp},${signature}\n`,
      );
    }
    // Generator 30: Wh over HTTP.
    served = [];
    for (const [period, wh] of [
      [P - 1, 400_000n],
      [P, 650_000n],
    ] as const) {
      const signature = await signReading(meter30, domain, GEN30, {
        meter: meter30.address,
        period,
        energyWh: wh,
        quality: "OK",
        timestamp: (period + 1) * T,
      });
      served.push({
        meter: meter30.address,
        period,
        energyWh: Number(wh),
        quality: "OK",
        timestamp: (period + 1) * T,
        signature,
      });
    }
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (c) => (body += c));
      request.on("end", () => {
        const { periods } = JSON.parse(body) as { periods: number[] };
        const readings = served.filter((r) => periods.includes((r as { period: number }).period));
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ readings }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function measure() {
    const sources: MeterSource[] = [
      new FileMeterSource({ path: dir, periodSeconds: T }),
      new HttpMeterSource({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/readings`,
        periodSeconds: T,
      }),
    ];
    const generatorOf = new Map([
      [meter27.address, GEN27],
      [meter30.address, GEN30],
    ]);
    const deliveries: { generator: string; period: number; baseline: BaselineSpec }[] = [
      { generator: GEN27, period: P, baseline: { method: "RollingAverage" } },
      { generator: GEN30, period: P, baseline: { method: "MeterBefore" } },
    ];
    const periods = [...new Set(deliveries.flatMap((d) => readingPeriods(d.baseline, d.period, T)))];
    const query = { meters: [...generatorOf.keys()], periods };
    const batch = mergeBatches(await Promise.all(sources.map((s) => s.read(query))));
    const screened = screenReadings(batch, {
      generatorOf,
      capacityWhOf: () => 2_000_000n,
      now: (P + 1) * T + 60,
      periodSeconds: T,
      signatures: { domain, required: true },
    });
    const readings = screened.usable;
    const measurements = measureDeliveries({ readings, bad: screened.bad, generatorOf, periodSeconds: T, deliveries });
    return { readings, screened, measurements };
  }

  it("measures both generators from signed readings of two sources and commits to the set", async () => {
    const { readings, measurements } = await measure();
    expect(readings).to.have.length(8); // 6 from the files, 2 over HTTP
    expect(
      measurements.map((m) => [
        m.generator,
        m.method,
        m.baselineDays,
        m.baselineWh,
        m.actualWh,
        m.deliveredWh,
        m.quality,
      ]),
    ).to.deep.equal([
      [GEN27, "RollingAverage", 5, 1_100_000n, 800_000n, -300_000n, "OK"],
      [GEN30, "MeterBefore", 0, 400_000n, 650_000n, 250_000n, "OK"],
    ]);
    // Polling again reads the same set: the same hash, whatever order the sources answered in.
    const again = await measure();
    expect(readingsHash(again.readings)).to.equal(readingsHash(readings));
    expect(readingsHash([...again.readings].reverse())).to.equal(readingsHash(readings));
  });

  it("goes ESTIMATED while a baseline day's file is missing, and back to OK when it arrives", async () => {
    const thursday = join(dir, `day-${Math.floor(DAYS[1] / 48)}.csv`);
    const text = readFileSync(thursday, "utf8");
    unlinkSync(thursday); // Thursday's file not delivered yet
    const short = (await measure()).measurements[0];
    expect([short.baselineWh, short.deliveredWh, short.quality]).to.deep.equal([1_125_000n, -325_000n, "ESTIMATED"]);
    writeFileSync(thursday, text);
    const full = (await measure()).measurements[0];
    expect([full.baselineWh, full.deliveredWh, full.quality]).to.deep.equal([1_100_000n, -300_000n, "OK"]);
  });

  it("measures a tampered reading BAD, naming why, and the other generator as usual", async () => {
    const file = join(dir, `day-${Math.floor(P / 48)}.csv`);
    const signature = await signReading(meter27, domain, GEN27, {
      meter: meter27.address,
      period: P,
      energyWh: 800_000n,
      quality: "OK",
      timestamp: (P + 1) * T,
    });
    writeFileSync(
      file,
      `meter,period,powerMw,quality,timestamp,signature\n${meter27.address},${P},1.2,OK,${(P + 1) * T},${signature}\n`,
    );
    const { readings, screened, measurements } = await measure();
    expect(readings).to.have.length(7); // all but the tampered one
    expect([...screened.bad.keys()]).to.deep.equal([`${meter27.address.toLowerCase()}:${P}`]);
    const [m27, m30] = measurements;
    expect([m27.quality, m27.actualWh, m27.deliveredWh]).to.deep.equal(["BAD", 0n, 0n]);
    expect(m27.notes).to.have.length(1);
    expect(m27.notes[0]).to.match(
      new RegExp(`^foreign signature: the signature over 600000 Wh .* not the meter key \\(${file}:2\\)$`),
    );
    expect([m30.quality, m30.deliveredWh]).to.deep.equal(["OK", 250_000n]);
  });
});
