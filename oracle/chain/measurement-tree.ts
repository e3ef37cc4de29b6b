/**
 * The Merkle tree of a report's measurements, as the oracle builds it
 * (contracts/libraries/MeasurementTree.sol): leaves keccak256(abi.encode(measurement)) in report
 * order, neighbours paired with a commutative keccak256 (the smaller hash first), an odd last node
 * moved up unpaired. The oracle stores only the root; whoever settles or disputes a measurement
 * shows it with its proof (`measurementProof`), or passes the report's whole list.
 * test/contracts/measurement-tree.test.ts checks roots and proofs against the contract.
 */
import { AbiCoder, concat, keccak256, ZeroHash } from "ethers";
import { IGridOracle__factory } from "../../typechain-types";
import type { IGridOracle } from "../../typechain-types";

const coder = AbiCoder.defaultAbiCoder();
const MEASUREMENT_PARAM =
  IGridOracle__factory.createInterface().getFunction("measurementsRoot").inputs[0].arrayChildren!;

/** The leaf of one measurement: keccak256(abi.encode(m)). */
export function measurementLeaf(m: IGridOracle.MeasurementStruct): string {
  return keccak256(coder.encode([MEASUREMENT_PARAM], [m]));
}

/** OpenZeppelin's Hashes.commutativeKeccak256. */
function pair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** Every level of the tree, leaves first. */
function levels(leaves: readonly string[]): string[][] {
  const out = [leaves.slice()];
  while (out[out.length - 1].length > 1) {
    const below = out[out.length - 1];
    const above: string[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) above.push(pair(below[i], below[i + 1]));
    if (below.length % 2 === 1) above.push(below[below.length - 1]);
    out.push(above);
  }
  return out;
}

/** The root the oracle stores for `measurements` (ZeroHash for none). */
export function measurementsRoot(measurements: readonly IGridOracle.MeasurementStruct[]): string {
  if (measurements.length === 0) return ZeroHash;
  const all = levels(measurements.map(measurementLeaf));
  return all[all.length - 1][0];
}

/** The sibling hashes that prove leaf `index` of `measurements`. */
export function merkleProof(measurements: readonly IGridOracle.MeasurementStruct[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= measurements.length)
    throw new RangeError(`measurement ${index} is not in a list of ${measurements.length}`);
  const proof: string[] = [];
  let i = index;
  for (const level of levels(measurements.map(measurementLeaf)).slice(0, -1)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) proof.push(level[sibling]);
    i = Math.floor(i / 2);
  }
  return proof;
}

/**
 * The proof the market and the oracle take for the measurement of `generator` in `period` carried
 * by report `reportPeriod` (whose whole list is `measurements`), or undefined when it is not there.
 */
export function measurementProof(
  reportPeriod: number | bigint,
  measurements: readonly IGridOracle.MeasurementStruct[],
  generator: string,
  period: number | bigint,
): IGridOracle.MeasurementProofStruct | undefined {
  const index = measurements.findIndex(
    (m) => String(m.generator).toLowerCase() === generator.toLowerCase() && BigInt(m.period) === BigInt(period),
  );
  if (index < 0) return undefined;
  return { reportPeriod, measurement: measurements[index], proof: merkleProof(measurements, index) };
}

/** The proof to pass when there is no reported measurement to show (a correction or dispute decides, or none). */
export function noProof(generator: string, period: number | bigint): IGridOracle.MeasurementProofStruct {
  return {
    reportPeriod: 0,
    measurement: {
      generator,
      generatorIndex: 0,
      period,
      baseline: 0,
      baselineDays: 0,
      baselineWh: 0,
      actualWh: 0,
      deliveredWh: 0,
      quality: 0,
    },
    proof: [],
  };
}
