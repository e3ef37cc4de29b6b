/**
 * The approximate-minimum-degree ordering: always a permutation, whatever pattern it is given,
 * and at least as good as the exact (Set-based) minimum degree it replaced on the MATPOWER cases
 * — measured as the fill of the matrices the solvers actually factorise.
 */
import { expect } from "chai";
import { buildYbus, loadCase, toInternal } from "../../../oracle";
import { approximateMinimumDegreeOrder } from "../../../oracle/grid/linalg/ordering";
import { PolarJacobian } from "../../../oracle/grid/pf/jacobian";
import { casePath, requireMatpower, rng } from "../helpers";

interface Graph {
  n: number;
  ptr: Int32Array;
  idx: Int32Array;
}

/** Compressed adjacency from an edge list, exactly as given (one-sided, repeated, self loops kept). */
function fromEdges(n: number, edges: [number, number][]): Graph {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) lists[a].push(b);
  const ptr = new Int32Array(n + 1);
  lists.forEach((l, i) => (ptr[i + 1] = ptr[i] + l.length));
  return { n, ptr, idx: Int32Array.from(lists.flat()) };
}

function isPermutation(order: Int32Array, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of order) {
    if (!(v >= 0 && v < n) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

/**
 * Off-diagonal non-zeros of the Cholesky factor of P(A + Aᵀ)Pᵀ (= of L in an LU with static
 * diagonal pivots), counted by plain symbolic elimination: eliminating a node joins all its
 * remaining neighbours. Slow and obvious on purpose, independent of the code under test.
 */
function fill(g: Graph, order: Int32Array): number {
  const adj: Set<number>[] = Array.from({ length: g.n }, () => new Set<number>());
  for (let i = 0; i < g.n; i++) {
    for (let p = g.ptr[i]; p < g.ptr[i + 1]; p++) {
      const j = g.idx[p];
      if (j === i) continue;
      adj[i].add(j);
      adj[j].add(i);
    }
  }
  const done = new Uint8Array(g.n);
  let count = 0;
  for (const v of order) {
    done[v] = 1;
    const later = [...adj[v]].filter((u) => !done[u]);
    count += later.length;
    for (const a of later) for (const b of later) if (a !== b) adj[a].add(b);
  }
  return count;
}

/**
 * The exact minimum-degree ordering the engine used before AMD (Set-based, explicit elimination
 * cliques), verbatim, kept here as the yardstick.
 */
function previousMinimumDegreeOrder(n: number, adjPtr: Int32Array, adjIdx: Int32Array): Int32Array {
  const adj: Set<number>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = new Set<number>();
    for (let p = adjPtr[i]; p < adjPtr[i + 1]; p++) if (adjIdx[p] !== i) s.add(adjIdx[p]);
    adj[i] = s;
  }
  // Also insert the reverse edges so the graph is symmetric whatever the caller passed.
  for (let i = 0; i < n; i++) for (const j of adj[i]) adj[j].add(i);

  // Bucket queue of nodes by degree: doubly linked lists.
  const head = new Int32Array(n + 1).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  const degree = new Int32Array(n);
  const insert = (v: number): void => {
    const d = degree[v];
    next[v] = head[d];
    prev[v] = -1;
    if (head[d] !== -1) prev[head[d]] = v;
    head[d] = v;
  };
  const remove = (v: number): void => {
    if (prev[v] !== -1) next[prev[v]] = next[v];
    else head[degree[v]] = next[v];
    if (next[v] !== -1) prev[next[v]] = prev[v];
  };
  for (let i = n - 1; i >= 0; i--) {
    degree[i] = adj[i].size;
    insert(i);
  }

  const order = new Int32Array(n);
  let minDegree = 0;
  for (let k = 0; k < n; k++) {
    while (head[minDegree] === -1) minDegree++;
    const v = head[minDegree];
    remove(v);
    order[k] = v;
    const clique = Array.from(adj[v]);
    for (const a of clique) adj[a].delete(v);
    for (let x = 0; x < clique.length; x++) {
      const sa = adj[clique[x]];
      for (let y = x + 1; y < clique.length; y++) {
        if (!sa.has(clique[y])) {
          sa.add(clique[y]);
          adj[clique[y]].add(clique[x]);
        }
      }
    }
    for (const a of clique) {
      remove(a);
      degree[a] = adj[a].size;
      insert(a);
      if (degree[a] < minDegree) minDegree = degree[a];
    }
    adj[v].clear();
  }
  return order;
}

const exactMinimumDegree = (g: Graph): Int32Array => previousMinimumDegreeOrder(g.n, g.ptr, g.idx);

function randomGraph(n: number, edges: number, seed: number): Graph {
  const next = rng(seed);
  const list: [number, number][] = [];
  for (let e = 0; e < edges; e++) list.push([Math.floor(next() * n), Math.floor(next() * n)]);
  return fromEdges(n, list);
}

function randomTree(n: number, seed: number): Graph {
  const next = rng(seed);
  const list: [number, number][] = [];
  for (let i = 1; i < n; i++) list.push([i, Math.floor(next() * i)]);
  return fromEdges(n, list);
}

function grid(rows: number, cols: number): Graph {
  const list: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = r * cols + c;
      if (c + 1 < cols) list.push([v, v + 1], [v + 1, v]);
      if (r + 1 < rows) list.push([v, v + cols], [v + cols, v]);
    }
  }
  return fromEdges(rows * cols, list);
}

const amd = (g: Graph, weights?: Int32Array): Int32Array => approximateMinimumDegreeOrder(g.n, g.ptr, g.idx, weights);

describe("approximate minimum degree ordering", () => {
  it("returns a permutation for empty, tiny and disconnected patterns", () => {
    expect(Array.from(amd(fromEdges(0, [])))).to.deep.equal([]);
    expect(Array.from(amd(fromEdges(1, [[0, 0]])))).to.deep.equal([0]);
    const isolated = fromEdges(5, [[1, 3]]);
    expect(isPermutation(amd(isolated), 5)).to.equal(true);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`returns a permutation of a random pattern with one-sided, repeated and diagonal entries, filling less than the natural order (seed ${seed})`, () => {
      const g = randomGraph(200, 600, seed);
      const order = amd(g);
      expect(isPermutation(order, g.n)).to.equal(true);
      expect(fill(g, order)).to.be.at.most(
        fill(
          g,
          Int32Array.from({ length: g.n }, (_, k) => k),
        ),
      );
    });
  }

  for (const seed of [6, 7, 8]) {
    it(`orders a tree without fill-in (seed ${seed})`, () => {
      const tree = randomTree(300, seed);
      // L holds the tree's own n - 1 edges and nothing more.
      expect(fill(tree, amd(tree))).to.equal(tree.n - 1);
    });
  }

  it("eliminates a star's leaves before its centre, and orders a dense node last", () => {
    const star = fromEdges(
      12,
      Array.from({ length: 11 }, (_, k) => [0, k + 1] as [number, number]),
    );
    const order = amd(star);
    expect(fill(star, order)).to.equal(11);
    expect(order.indexOf(0)).to.be.at.least(10);
    // 400 nodes on a ring plus one node joined to all: above AMD's dense threshold (10·√n).
    const n = 401;
    const ring: [number, number][] = [];
    for (let i = 0; i < n - 1; i++) ring.push([i, (i + 1) % (n - 1)], [n - 1, i]);
    const dense = amd(fromEdges(n, ring));
    expect(isPermutation(dense, n)).to.equal(true);
    expect(dense[n - 1]).to.equal(n - 1);
  });

  it("is close to exact minimum degree on a 2-D grid (a hard case for both)", () => {
    const g = grid(20, 20);
    const ours = fill(g, amd(g));
    const exact = fill(g, exactMinimumDegree(g));
    expect(ours).to.be.at.most(Math.ceil(1.1 * exact));
  });

  it("weights: a permutation, and the same order as unit weights when every weight is equal", () => {
    const g = randomGraph(150, 400, 9);
    const next = rng(10);
    const weights = Int32Array.from({ length: g.n }, () => 1 + Math.floor(next() * 2));
    expect(isPermutation(amd(g, weights), g.n)).to.equal(true);
    expect(Array.from(amd(g, new Int32Array(g.n).fill(1)))).to.deep.equal(Array.from(amd(g)));
  });

  it("refuses malformed input with a RangeError", () => {
    const g = fromEdges(3, [[0, 1]]);
    expect(() => approximateMinimumDegreeOrder(3, g.ptr.subarray(0, 3), g.idx)).to.throw(RangeError, /adjPtr/);
    expect(() => approximateMinimumDegreeOrder(3, g.ptr, Int32Array.of(5))).to.throw(RangeError, /outside/);
    expect(() => amd(g, Int32Array.of(1, 0, 1))).to.throw(RangeError, /weight 0/);
    expect(() => amd(g, Int32Array.of(1, 1))).to.throw(RangeError, /weights has 2 entries/);
  });
});

describe("ordering quality on the MATPOWER cases (fill of the factorised matrices)", function () {
  requireMatpower();
  this.timeout(120_000);

  const CASES = ["case9", "case14", "case30", "case57", "case118", "case33bw", "case34sa", "case1354pegase"];
  const LARGE = ["case2869pegase", "case9241pegase"];

  /**
   * The Newton Jacobian as the engine factorises it (unknowns in AMD order, LU without further
   * permutation) against the same Jacobian in the order the previous exact minimum degree gave
   * its buses (angle then magnitude per bus, as before).
   */
  function jacobianFill(name: string): { ours: number; before: number } {
    const ic = toInternal(loadCase(casePath(name)));
    const ybus = buildYbus(ic);
    const jac = new PolarJacobian(ybus, ic.ref, ic.pq);
    const { n, colPtr, rowIdx } = jac.pattern;
    const pattern = { n, ptr: colPtr, idx: rowIdx };
    const identity = Int32Array.from({ length: n }, (_, k) => k);

    const free: number[] = [];
    const local = new Int32Array(ybus.n).fill(-1);
    for (let i = 0; i < ybus.n; i++) if (jac.angle[i] >= 0) local[i] = free.push(i) - 1;
    const busGraph = fromEdges(
      free.length,
      free.flatMap((bus, k) =>
        Array.from(ybus.col.subarray(ybus.rowPtr[bus], ybus.rowPtr[bus + 1]))
          .filter((j) => local[j] >= 0)
          .map((j) => [k, local[j]] as [number, number]),
      ),
    );
    const previous = exactMinimumDegree(busGraph).reduce<number[]>((unknowns, k) => {
      unknowns.push(jac.angle[free[k]]);
      if (jac.magnitude[free[k]] >= 0) unknowns.push(jac.magnitude[free[k]]);
      return unknowns;
    }, []);
    return { ours: fill(pattern, identity), before: fill(pattern, Int32Array.from(previous)) };
  }

  for (const name of [...CASES, ...LARGE]) {
    it(`${name}: the Newton Jacobian fills no more than with the previous ordering`, function () {
      if (LARGE.includes(name)) this.timeout(300_000);
      const { ours, before } = jacobianFill(name);
      console.log(`      L off-diagonal non-zeros: ${ours} (previous ordering ${before})`);
      expect(ours).to.be.at.most(before);
    });
  }

  it("the default ordering of SparseLU.analyze (DC and PTDF matrices) stays within 2% of exact minimum degree", () => {
    for (const name of CASES) {
      const ic = toInternal(loadCase(casePath(name)));
      const ybus = buildYbus(ic);
      const g = { n: ybus.n, ptr: ybus.rowPtr, idx: ybus.col };
      const ours = fill(g, amd(g));
      const exact = fill(g, exactMinimumDegree(g));
      expect(ours, name).to.be.at.most(Math.ceil(1.02 * exact));
    }
  });
});
