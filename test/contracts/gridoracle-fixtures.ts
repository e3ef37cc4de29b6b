/** Helpers shared by the GridOracle tests (split by concern). */
import { BaselineMethod, Quality } from "../../oracle/chain/enums";
import { signReport } from "../../oracle/chain/typed-data";
import { FAR, measurement, paperReport, type Fixture } from "./fixtures";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A report for the current period P carrying measurements of gen27 (P − 1) and gen34 (P − 5). */
export function twoMeasurements(f: Fixture) {
  return paperReport(f.period, [
    measurement(f.gen27.address, f.period - 1n, -2300n),
    measurement(f.gen34.address, f.period - 5n, 1234n, {
      baseline: BaselineMethod.RollingAverage,
      baselineDays: 10,
      quality: Quality.Estimated,
    }),
  ]);
}

export async function signed(f: Fixture, report = twoMeasurements(f), signers = [f.o1, f.o2], deadline = FAR) {
  return signReport(signers, f.oracleDomain, report, await f.oracle.configEpoch(), deadline);
}
