/**
 * Bus types as the solver sees them (MATPOWER's bustypes and its reactive-limit rule), and the
 * master unit of an islanded grid. One place for each rule.
 */
import { BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF } from "../case/columns";
import { CaseDataError } from "../errors";
import { classifyBuses, type InternalCase } from "./internal";

/** Type of every internal bus (1 PQ, 2 PV, 3 reference) and the three index lists, each ascending. */
export interface BusTypes {
  readonly type: Uint8Array;
  readonly ref: Int32Array;
  readonly pv: Int32Array;
  readonly pq: Int32Array;
}

export function busTypes(type: Uint8Array): BusTypes {
  return { type, ...classifyBuses(type) };
}

/** The types of the indexed case: MATPOWER's bustypes (a PV or reference bus without a unit is PQ). */
export function baseBusTypes(index: InternalCase): BusTypes {
  return { type: index.buses.type, ref: index.ref, pv: index.pv, pq: index.pq };
}

/**
 * The buses in `lost` no longer hold their voltage (their units sit at a reactive limit): they
 * become PQ. If no reference bus is left, the first remaining PV bus becomes the reference, as
 * MATPOWER's runpf does. Returns the new types and the promoted bus (-1 if none).
 */
export function withVoltageControlLost(
  types: BusTypes,
  lost: Iterable<number>,
): { readonly types: BusTypes; readonly newReference: number } {
  const type = Uint8Array.from(types.type);
  for (const bus of lost) type[bus] = BUS_TYPE_PQ;
  let newReference = -1;
  if (!type.includes(BUS_TYPE_REF)) {
    newReference = type.indexOf(BUS_TYPE_PV);
    if (newReference < 0) {
      throw new CaseDataError("every generator is at a reactive limit: no bus is left to hold the voltage");
    }
    type[newReference] = BUS_TYPE_REF;
  }
  return { types: busTypes(type), newReference };
}

/** A short signature of the types, to key per-type solver structures. */
export function typesSignature(types: BusTypes): string {
  return Buffer.from(types.type.buffer, types.type.byteOffset, types.type.byteLength).toString("base64");
}

/**
 * The master unit(s) of the grid: in-service units at the case's reference bus(es), which hold
 * voltage and frequency and balance the grid. Internal gen indices, ascending.
 */
export function masterUnits(index: InternalCase): Int32Array {
  const out: number[] = [];
  const { gens, buses } = index;
  for (let k = 0; k < gens.count; k++) if (buses.type[gens.bus[k]] === BUS_TYPE_REF) out.push(k);
  return Int32Array.from(out);
}
