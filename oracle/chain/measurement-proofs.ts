/**
 * Reported measurements read back from the oracle's events, and the proofs the market and the
 * oracle take for them: a report's MeasurementReported events, in log order, are the leaves of
 * its measurements' tree (measurement-tree.ts), so anyone holding the logs can rebuild the list
 * and prove any measurement in it — no copy of the centre's report is needed.
 */
import type { GridOracle, IGridOracle } from "../../typechain-types";
import { periodSearchStart } from "./clock";
import { DEFAULT_MAX_BLOCK_RANGE, providerOf, queryLogs } from "./logs";
import { measurementProof, noProof } from "./measurement-tree";

/**
 * The measurement list of report `reportPeriod`, in report (leaf) order, from its events in
 * blocks [fromBlock, toBlock] (a report is one transaction: its block, when known, is the range).
 */
export async function readReportMeasurements(
  oracle: GridOracle,
  reportPeriod: number | bigint,
  fromBlock = 0,
  toBlock?: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<IGridOracle.MeasurementStruct[]> {
  const logs = await queryLogs(
    oracle,
    oracle.filters.MeasurementReported(undefined, undefined, reportPeriod),
    fromBlock,
    toBlock,
    maxBlockRange,
  );
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  return logs.map((l) => ({
    generator: l.args.generator,
    generatorIndex: l.args.generatorIndex,
    period: l.args.period,
    baseline: l.args.baseline,
    baselineDays: l.args.baselineDays,
    baselineWh: l.args.baselineWh,
    actualWh: l.args.actualWh,
    deliveredWh: l.args.deliveredWh,
    quality: l.args.quality,
  }));
}

/**
 * The proof of the reported measurement of `generator` in `period` (the report that carried it is
 * found by the event's indexed topics), or an empty proof when no report carried one.
 */
export async function findMeasurementProof(
  oracle: GridOracle,
  generator: string,
  period: number | bigint,
  fromBlock = 0,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<IGridOracle.MeasurementProofStruct> {
  // A measurement of `period` rides in a report of a later period: the search starts where that began.
  const from = await periodSearchStart(
    providerOf(oracle),
    Number(period) + 1,
    Number(await oracle.periodSeconds()),
    fromBlock,
    maxBlockRange,
  );
  const carried = await queryLogs(
    oracle,
    oracle.filters.MeasurementReported(period, generator),
    from,
    undefined,
    maxBlockRange,
  );
  if (carried.length === 0) return noProof(generator, period);
  const reportPeriod = carried[0].args.reportPeriod;
  const block = carried[0].blockNumber;
  const list = await readReportMeasurements(oracle, reportPeriod, block, block);
  return measurementProof(reportPeriod, list, generator, period) ?? noProof(generator, period);
}
