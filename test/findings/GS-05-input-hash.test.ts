/**
 * GS-05 (security review, medium as part of GS-10's family): the report's input hash ignored
 * what the load flow used. v1 hashed `JSON.stringify({ case, forecasts: { forecasts, lastMoves } })`
 * with `lastMoves` a Map — and JSON.stringify writes every Map as {} — so two different grids had
 * the same hash. v2 hashes the canonical JSON of everything the study used (case text hash and
 * forecasts), refuses Maps and Sets outright, and the centre puts that hash in each report.
 */
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson, caseTextHash, inputHash } from "../../oracle/chain/encode";
import { testWorld, start } from "../oracle/agents/world-fixture";

/** The v1 formula, kept here only to show the collision this finding was about. */
const v1InputHash = (caseText: string, forecasts: unknown): string =>
  keccak256(toUtf8Bytes(JSON.stringify({ case: caseText, forecasts })));

describe("GS-05: the report's input hash commits to everything the load flow used", () => {
  it("v1's hash was blind to the moves it applied; the canonical hash is not", () => {
    const moved = { forecasts: {}, lastMoves: new Map([[27, -0.0207]]) };
    const still = { forecasts: {}, lastMoves: new Map() };
    expect(v1InputHash("case", moved), "v1: different grids, same hash").to.equal(v1InputHash("case", still));
    expect(() => inputHash(moved)).to.throw(TypeError, /Maps and Sets/);
    const a = inputHash({ case: caseTextHash("case"), forecasts: { generation: { 34: 0.5183 } } });
    const b = inputHash({ case: caseTextHash("case"), forecasts: { generation: { 34: 0.5184 } } });
    expect(a).to.not.equal(b);
    // Key order does not matter; every value does.
    expect(canonicalJson({ b: 1, a: [2n, { d: 3, c: 4 }] })).to.equal('{"a":["2",{"c":4,"d":3}],"b":1}');
  });

  it("the centre's reports carry a hash that changes with the forecasts it solved", async () => {
    let pv = 0.5183;
    const w = await testWorld([{ node: 27 }], { forecasts: () => ({ generation: { 34: pv } }) });
    await start(w);
    const first = await w.pipeline.run();
    pv = 0.45;
    const second = await w.pipeline.run();
    const hashOf = async (period: number): Promise<string> => {
      const logs = await w.contracts.oracle.queryFilter(w.contracts.oracle.filters.ReportSubmitted(period));
      return logs[0].args.inputHash;
    };
    const expected = (generation: number, deliveryPeriod: number): string =>
      inputHash({
        case: caseTextHash(w.caseText),
        forecasts: { generation: { 34: generation }, periodStart: deliveryPeriod * w.periodSeconds },
      });
    expect(await hashOf(first.period)).to.equal(expected(0.5183, first.deliveryPeriod));
    expect(await hashOf(second.period)).to.equal(expected(0.45, second.deliveryPeriod));
  });
});
