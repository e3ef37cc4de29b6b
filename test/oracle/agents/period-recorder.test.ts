/**
 * The pipeline's record writer (oracle/agents/period-recorder.ts): a period studied when the
 * centre's step and the fills are done, delivered once it has run; fills counted for their own
 * delivery period only; the case's schedule as a period's conditions.
 */
import { expect } from "chai";
import { join } from "node:path";
import { ZeroAddress } from "ethers";
import type { DemandResponseMarket } from "../../../typechain-types";
import { loadCase } from "../../../oracle";
import { BUS, GEN } from "../../../oracle/grid/case/columns";
import { runPeriod } from "../../../oracle/market/period";
import type { CentreStep } from "../../../oracle/agents/centre";
import type { DeliveredPeriod, OpenedPeriod } from "../../../oracle/agents/pipeline";
import { PeriodRecorder, scheduleConditions } from "../../../oracle/agents/period-recorder";

const SEED34 = loadCase(join(__dirname, "..", "..", "..", "cases", "seed34.json"));
const T = 1800;
const D = 1_000_000;
const ME = "0x00000000000000000000000000000000000000a1";

/** A fill of `wh` Wh for `usd` (1e-8 USD) in `period`, as a generator's poll reports it. */
const filled = (offerHash: string, period: number, wh: bigint, usd: bigint) => ({
  offerHash,
  fill: { period, amountWh: wh, usd, generator: ME },
});

async function opened(): Promise<OpenedPeriod> {
  const study = await runPeriod(SEED34, { periodStart: D * T });
  const centre = {
    period: D - 1,
    deliveryPeriod: D,
    study,
    posted: [
      { offerHash: "0xopen", offer: { generator: ZeroAddress, usd: 500_000_000n } },
      { offerHash: "0xmine", offer: { generator: ME, usd: 100_000_000n } },
    ],
    problems: ["a problem"],
    dropped: [],
  } as unknown as CentreStep;
  const poll = {
    filled: [
      filled("0xopen", D, 13_000n, 500_000_000n),
      filled("0xmine", D, 2_000n, 100_000_000n),
      filled("0xolder", D - 1, 9_000n, 1n), // a fill of another period's offer: not this record's
    ],
  };
  return { period: D - 1, deliveryPeriod: D, centre, operators: [], generators: [{ address: ME, poll }] } as never;
}

describe("the pipeline's record writer (oracle/agents/period-recorder.ts)", function () {
  it("takes the case's schedule as a period's conditions: its demand, its renewables, no weather", function () {
    const c = scheduleConditions(SEED34, D, T);
    const demand = SEED34.bus.reduce((s, b) => s + b[BUS.PD], 0);
    const pvRows = (SEED34.operation?.units ?? []).filter((u) => u.kind === "renewable").map((u) => u.gen - 1);
    const pv = pvRows.reduce((s, k) => s + SEED34.gen[k][GEN.PG], 0);
    expect(pvRows, "seed34 has its PV array as a renewable unit").to.have.length(1);
    expect(c).to.deep.equal({
      index: ((D * T) % 86400) / T,
      date: new Date(D * T * 1000).toISOString().slice(0, 10),
      localTime: new Date(D * T * 1000).toISOString().slice(11, 16),
      utcStart: D * T,
      demandMW: demand,
      pvMW: pv,
      netLoadMW: demand - pv,
      pvAvailability: null,
      cloudCover: null,
    });
  });

  it("writes a period studied (the fills of its own offers only), then delivered", async function () {
    const recorder = new PeriodRecorder({
      case: SEED34,
      periodSeconds: T,
      conditions: (p) => scheduleConditions(SEED34, p, T),
    });
    await recorder.opened(await opened());
    const studied = recorder.get(D);
    expect(studied?.stage).to.equal("studied");
    expect(studied?.chainPeriod).to.equal(D);
    expect(studied?.fills).to.equal(2);
    expect(studied?.filledKwh).to.equal(15);
    expect(studied?.filledUsd).to.equal(6);
    expect(studied?.posted).to.equal(2);
    expect(studied?.postedUsd).to.equal(6);
    expect(studied?.problems).to.deep.equal(["a problem"]);
    expect(studied?.bids.sealed, "no bid book").to.equal(null);
    expect(() => recorder.amend(D, { gas: 1 })).to.throw(/period 1000000 has no delivered record/);

    const study = (await opened()).centre.study!;
    recorder.delivered({
      deliveryPeriod: D,
      delivery: [{ address: ME, node: 2, scheduledMW: 0.19, committedMW: 0.026, actualMW: 0.216, meterOffline: false }],
      actual: { loadFlow: study.redispatch.loadFlow, limits: study.redispatch.violations },
    } as unknown as DeliveredPeriod);
    const delivered = recorder.deliveredOf(D);
    expect(delivered.stage).to.equal("delivered");
    expect(delivered.fills, "the studied part kept").to.equal(2);
    expect(delivered.delivery[0].address).to.equal(ME);
    expect(delivered.detail?.actual?.loadFlow.branches).to.have.length(35);
    expect(delivered.violatedLinesActual).to.deep.equal([]);
    expect(recorder.amend(D, { gas: 123, wallMs: 4 }).gas).to.equal(123);
    expect(recorder.all().map((r) => r.chainPeriod)).to.deep.equal([D]);
  });

  it("recounts a delivered period's fills from the chain, and a read the node did not answer is done again", async function () {
    let failures = 1;
    const market = {
      runner: { provider: { getBlockNumber: async () => 10 } },
      filters: { Filled: () => ({}) },
      queryFilter: async () => {
        if (failures-- > 0) throw new Error("the node did not answer");
        return []; // on chain: no fill of the period (the agents' reported fills were not made)
      },
    } as unknown as DemandResponseMarket;
    const recorder = new PeriodRecorder({
      case: SEED34,
      periodSeconds: T,
      conditions: (p) => scheduleConditions(SEED34, p, T),
      fills: { market, fromBlock: 0 },
    });
    await recorder.opened(await opened());
    const study = (await opened()).centre.study!;
    const delivered = {
      deliveryPeriod: D,
      delivery: [],
      actual: { loadFlow: study.redispatch.loadFlow, limits: study.redispatch.violations },
    } as unknown as DeliveredPeriod;
    const failed = await recorder.delivered(delivered).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed?.message).to.match(/the node did not answer/);
    expect(recorder.get(D)?.stage).to.equal("studied");
    await recorder.delivered(delivered);
    expect(recorder.deliveredOf(D).fills, "the chain's count").to.equal(0);
    expect(recorder.deliveredOf(D).filledKwh).to.equal(0);
  });

  it("completes only what it studied: a period delivered without a study leaves no record", function () {
    const recorder = new PeriodRecorder({
      case: SEED34,
      periodSeconds: T,
      conditions: (p) => scheduleConditions(SEED34, p, T),
    });
    recorder.delivered({ deliveryPeriod: D } as unknown as DeliveredPeriod);
    expect(recorder.all()).to.deep.equal([]);
  });

  it("refuses a case without operation data, naming it", function () {
    expect(
      () =>
        new PeriodRecorder({
          case: { ...SEED34, operation: undefined },
          periodSeconds: T,
          conditions: () => scheduleConditions(SEED34, D, T),
        }),
    ).to.throw(/seed34: recording periods needs the case's operation data/);
  });
});
