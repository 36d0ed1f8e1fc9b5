/** Undirected weighted graph in compressed sparse rows (each edge stored in both directions). */
export interface WeightedGraph {
  n: number;
  offsets: Int32Array;
  targets: Int32Array;
  weights: Float64Array;
}

/** Build a graph from the pairs (i<j) where `linked(i,j)` holds, weight `weight(i,j)`. */
export function graphFromMatrix(n: number, linked: (i: number, j: number) => boolean, weight: (i: number, j: number) => number): WeightedGraph {
  const deg = new Int32Array(n);
  const ei: number[] = [];
  const ej: number[] = [];
  const ew: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!linked(i, j)) continue;
      ei.push(i);
      ej.push(j);
      ew.push(weight(i, j));
      deg[i]++;
      deg[j]++;
    }
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + deg[i];
  const fill = offsets.slice(0, n);
  const targets = new Int32Array(offsets[n]);
  const weights = new Float64Array(offsets[n]);
  for (let e = 0; e < ei.length; e++) {
    const a = ei[e];
    const b = ej[e];
    targets[fill[a]] = b;
    weights[fill[a]++] = ew[e];
    targets[fill[b]] = a;
    weights[fill[b]++] = ew[e];
  }
  return { n, offsets, targets, weights };
}

/** A binary min-heap of node ids keyed by a distance array, with decrease-key. */
class Heap {
  readonly items: Int32Array;
  readonly pos: Int32Array;
  size = 0;
  constructor(
    n: number,
    readonly key: Float64Array,
  ) {
    this.items = new Int32Array(n);
    this.pos = new Int32Array(n).fill(-1);
  }
  reset(): void {
    for (let i = 0; i < this.size; i++) this.pos[this.items[i]] = -1;
    this.size = 0;
  }
  pushOrDecrease(v: number): void {
    let i = this.pos[v];
    if (i < 0) {
      i = this.size++;
      this.items[i] = v;
      this.pos[v] = i;
    }
    this.up(i);
  }
  pop(): number {
    const top = this.items[0];
    this.pos[top] = -1;
    const last = this.items[--this.size];
    if (this.size > 0) {
      this.items[0] = last;
      this.pos[last] = 0;
      this.down(0);
    }
    return top;
  }
  private up(i: number): void {
    const { items, pos, key } = this;
    const v = items[i];
    const k = key[v];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pv = items[p];
      if (key[pv] <= k) break;
      items[i] = pv;
      pos[pv] = i;
      i = p;
    }
    items[i] = v;
    pos[v] = i;
  }
  private down(i: number): void {
    const { items, pos, key } = this;
    const v = items[i];
    const k = key[v];
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && key[items[c + 1]] < key[items[c]]) c++;
      if (key[items[c]] >= k) break;
      items[i] = items[c];
      pos[items[c]] = i;
      i = c;
    }
    items[i] = v;
    pos[v] = i;
  }
}

/**
 * Dijkstra from a set of sources (all at distance 0), optionally stopping at `limit` (nodes
 * farther than it keep Infinity). `out` has length n.
 */
export function dijkstra(g: WeightedGraph, sources: ArrayLike<number>, out = new Float64Array(g.n), limit = Infinity, heap?: Heap): Float64Array {
  out.fill(Infinity);
  const h = heap ?? new Heap(g.n, out);
  h.reset();
  for (let s = 0; s < sources.length; s++) {
    out[sources[s]] = 0;
    h.pushOrDecrease(sources[s]);
  }
  const { offsets, targets, weights } = g;
  while (h.size > 0) {
    const u = h.pop();
    const du = out[u];
    if (du > limit) {
      out[u] = Infinity;
      continue;
    }
    for (let e = offsets[u]; e < offsets[u + 1]; e++) {
      const v = targets[e];
      const nd = du + weights[e];
      if (nd < out[v] && nd <= limit) {
        out[v] = nd;
        h.pushOrDecrease(v);
      }
    }
  }
  return out;
}

/** All-pairs shortest path lengths (n x n, row-major), distances above `limit` reported as Infinity. */
export function allPairsShortestPaths(g: WeightedGraph, limit = Infinity): Float64Array {
  const n = g.n;
  const out = new Float64Array(n * n);
  const row = new Float64Array(n);
  const heap = new Heap(n, row);
  const src = new Int32Array(1);
  for (let s = 0; s < n; s++) {
    src[0] = s;
    dijkstra(g, src, row, limit, heap);
    out.set(row, s * n);
  }
  return out;
}
