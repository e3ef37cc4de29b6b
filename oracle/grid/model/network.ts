/**
 * A network model: everything about a case that does not change when only its injections do —
 * the internal indexing, branch admittances and Ybus, and, built on first use, the Newton
 * system (Jacobian pattern and symbolic LU analysis, per set of bus types) and the DC model.
 *
 * Models are cached by an explicit topology key (see `topologyKey`): re-solving the same network
 * with other demands, outputs or voltage set points reuses them (lightsim2grid's idea), and any
 * change to an element's status, the bus types, an impedance, tap, shift, charging or shunt, or
 * the base gives a new key and a new model.
 */
import { BRANCH, BUS, GEN } from "../case/columns";
import type { PowerCase } from "../case/types";
import { SparseLU } from "../linalg/lu";
import { makeBdc, type DcNetwork } from "../network/bdc";
import { branchAdmittances, buildYbus, type BranchAdmittances, type ComplexCsr } from "../network/admittance";
import { PolarJacobian } from "../pf/jacobian";
import { baseBusTypes, typesSignature, type BusTypes } from "./bustypes";
import { toInternal, type InternalCase } from "./internal";

/** The Jacobian pattern and its symbolic LU analysis for one set of bus types. */
export interface NewtonSystem {
  readonly jacobian: PolarJacobian;
  readonly lu: SparseLU;
}

export class NetworkModel {
  private readonly newton = new Map<string, NewtonSystem>();
  private dc: DcNetwork | undefined;
  private branchRowMap: Int32Array | undefined;
  private genRowMap: Int32Array | undefined;
  private busIdMap: Map<number, number> | undefined;
  readonly admittances: BranchAdmittances;
  readonly ybus: ComplexCsr;
  /** Bus types of the case (MATPOWER's bustypes), before any reactive limit is enforced. */
  readonly baseTypes: BusTypes;

  private constructor(
    /** The topology key this model was built for. */
    readonly key: Float64Array,
    /**
     * The internal indexing. Its demand, output and voltage values are those of the case the
     * model was first built from: read injections with `injectionsOf`, never from here.
     */
    readonly index: InternalCase,
  ) {
    this.admittances = branchAdmittances(index);
    this.ybus = buildYbus(index, this.admittances);
    this.baseTypes = baseBusTypes(index);
  }

  /** A model of `c`'s network, from the cache when the same topology was modelled before. */
  static of(c: PowerCase, options: { readonly cache?: boolean } = {}): NetworkModel {
    if (options.cache === false) return new NetworkModel(topologyKey(c), toInternal(c));
    return modelCache.get(c);
  }

  /** The Jacobian pattern and LU analysis for `types`, built once per set of bus types. */
  newtonSystem(types: BusTypes): NewtonSystem {
    const signature = typesSignature(types);
    let system = this.newton.get(signature);
    if (!system) {
      const jacobian = new PolarJacobian(this.ybus, types.ref, types.pq);
      // The Jacobian numbers its unknowns in a fill-reducing order already.
      const order = new Int32Array(jacobian.size);
      for (let k = 0; k < order.length; k++) order[k] = k;
      system = { jacobian, lu: SparseLU.analyze(jacobian.pattern, order) };
      this.newton.set(signature, system);
    }
    return system;
  }

  /** The DC model (reduced susceptance matrix, factorised) with the case's reference buses. */
  dcNetwork(): DcNetwork {
    this.dc ??= makeBdc(this.index, this.baseTypes.ref);
    return this.dc;
  }

  /** Internal branch of each branch row of the case (0-based row), −1 where out of service. */
  get branchOfRow(): Int32Array {
    if (!this.branchRowMap) {
      this.branchRowMap = new Int32Array(this.index.source.branch.length).fill(-1);
      const rows = this.index.branches.row;
      for (let l = 0; l < rows.length; l++) this.branchRowMap[rows[l]] = l;
    }
    return this.branchRowMap;
  }

  /** Internal unit of each gen row of the case (0-based row), −1 where out of service. */
  get genOfRow(): Int32Array {
    if (!this.genRowMap) {
      this.genRowMap = new Int32Array(this.index.source.gen.length).fill(-1);
      const rows = this.index.gens.row;
      for (let k = 0; k < rows.length; k++) this.genRowMap[rows[k]] = k;
    }
    return this.genRowMap;
  }

  /** Internal bus of bus number `id`, −1 if the case has no such bus or it is isolated. */
  busOfId(id: number): number {
    if (!this.busIdMap) {
      this.busIdMap = new Map();
      const ids = this.index.buses.id;
      for (let i = 0; i < ids.length; i++) this.busIdMap.set(ids[i], i);
    }
    return this.busIdMap.get(id) ?? -1;
  }

  /** @internal Used by the cache. */
  static build(c: PowerCase, key: Float64Array): NetworkModel {
    return new NetworkModel(key, toInternal(c));
  }
}

/**
 * The topology key of a case: every number a network model depends on, in a fixed order —
 * baseMVA; per bus its number, type, Gs, Bs; per unit its bus and status; per branch its ends,
 * r, x, b, tap, shift and status. Demands, outputs, voltage set points and limits are not in it.
 */
export function topologyKey(c: PowerCase): Float64Array {
  const nb = c.bus.length;
  const ng = c.gen.length;
  const nl = c.branch.length;
  const key = new Float64Array(4 + 4 * nb + 2 * ng + 8 * nl);
  let p = 0;
  key[p++] = c.baseMVA;
  key[p++] = nb;
  key[p++] = ng;
  key[p++] = nl;
  for (const row of c.bus) {
    key[p++] = row[BUS.BUS_I];
    key[p++] = row[BUS.BUS_TYPE];
    key[p++] = row[BUS.GS];
    key[p++] = row[BUS.BS];
  }
  for (const row of c.gen) {
    key[p++] = row[GEN.GEN_BUS];
    key[p++] = row[GEN.GEN_STATUS] > 0 ? 1 : 0;
  }
  for (const row of c.branch) {
    key[p++] = row[BRANCH.F_BUS];
    key[p++] = row[BRANCH.T_BUS];
    key[p++] = row[BRANCH.BR_R];
    key[p++] = row[BRANCH.BR_X];
    key[p++] = row[BRANCH.BR_B];
    key[p++] = row[BRANCH.TAP];
    key[p++] = row[BRANCH.SHIFT];
    key[p++] = row[BRANCH.BR_STATUS] !== 0 ? 1 : 0;
  }
  return key;
}

/** A 32-bit FNV-1a hash of the key's bytes: the map index; keys are compared in full on a hit. */
function hashKey(key: Float64Array): number {
  const bytes = new Uint32Array(key.buffer, key.byteOffset, key.length * 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function sameKey(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  // Compare bit patterns, so -0 and 0 or two NaNs are treated consistently with the hash.
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A small least-recently-used cache of network models. */
class ModelCache {
  private readonly entries = new Map<number, NetworkModel[]>();
  private readonly order: NetworkModel[] = [];

  constructor(private readonly capacity: number) {}

  get(c: PowerCase): NetworkModel {
    const key = topologyKey(c);
    const hash = hashKey(key);
    const bucket = this.entries.get(hash) ?? [];
    let model = bucket.find((m) => sameKey(m.key, key));
    if (model) {
      this.order.splice(this.order.indexOf(model), 1);
    } else {
      model = NetworkModel.build(c, key);
      bucket.push(model);
      this.entries.set(hash, bucket);
      if (this.order.length >= this.capacity) this.evict(this.order.shift() as NetworkModel);
    }
    this.order.push(model);
    return model;
  }

  clear(): void {
    this.entries.clear();
    this.order.length = 0;
  }

  get size(): number {
    return this.order.length;
  }

  private evict(model: NetworkModel): void {
    const hash = hashKey(model.key);
    const bucket = (this.entries.get(hash) ?? []).filter((m) => m !== model);
    if (bucket.length > 0) this.entries.set(hash, bucket);
    else this.entries.delete(hash);
  }
}

/** Models kept per process: a few networks (the oracle's case, a study's variants). */
const modelCache = new ModelCache(8);

/** Empties the model cache (tests and benchmarks of cold solves). */
export function clearModelCache(): void {
  modelCache.clear();
}

/** Number of cached models. */
export function cachedModelCount(): number {
  return modelCache.size;
}
