/**
 * Reported measurements read back from the oracle's events, and the proofs the market and the
 * oracle take for them: a report's MeasurementReported events, in log order, are the leaves of
 * its measurements' tree (measurement-tree.ts), so anyone holding the logs can rebuild the list
 * and prove any measurement in it — no copy of the centre's report is needed.
 */
import type { GridOracle, IGridOracle } from "../../typechain-types";
import { measurementProof, noProof } from "./measurement-tree";

/** The measurement list of report `reportPeriod`, in report (leaf) order, from its events. */
export async function readReportMeasurements(
  oracle: GridOracle,
  reportPeriod: number | bigint,
  fromBlock = 0,
): Promise<IGridOracle.MeasurementStruct[]> {
  const logs = await oracle.queryFilter(
    oracle.filters.MeasurementReported(undefined, undefined, reportPeriod),
    fromBlock,
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
): Promise<IGridOracle.MeasurementProofStruct> {
  const carried = await oracle.queryFilter(oracle.filters.MeasurementReported(period, generator), fromBlock);
  if (carried.length === 0) return noProof(generator, period);
  const reportPeriod = carried[0].args.reportPeriod;
  const list = await readReportMeasurements(oracle, reportPeriod, carried[0].blockNumber);
  return measurementProof(reportPeriod, list, generator, period) ?? noProof(generator, period);
}
