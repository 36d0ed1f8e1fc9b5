/**
 * Seeded random numbers with independent, addressable streams.
 *
 * A stream is named by a path of keys, e.g. rng.stream('epoch', 3, 'sample', 1234):
 * the numbers a sample sees depend only on (seed, epoch, sample index), never on which
 * worker draws it or in which order, so results do not change with the worker count.
 * Generator: xoshiro128** (fast, 32-bit, good statistical quality); keys are mixed in
 * with a SplitMix32-style hash.
 */
export type StreamKey = number | string;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashKey(h: number, key: StreamKey): number {
  if (typeof key === 'number') {
    // numbers: mix the low and high 32-bit halves so large indices stay distinct
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) >>> 0;
    h = mix32((h ^ lo) + 0x9e3779b9);
    h = mix32((h ^ hi) + 0x7f4a7c15);
    return mix32(h ^ 0x1b873593);
  }
  h = mix32(h ^ 0x2545f491);
  for (let i = 0; i < key.length; i++) h = mix32((h ^ key.charCodeAt(i)) + 0x9e3779b9);
  return mix32(h ^ key.length);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** @param seed any integer; @param path stream keys mixed into the state */
  constructor(
    readonly seed: number,
    readonly path: readonly StreamKey[] = [],
  ) {
    let h = hashKey(0x6a09e667, seed);
    for (const k of path) h = hashKey(h, k);
    this.s0 = mix32(h + 0x9e3779b9);
    this.s1 = mix32(h + 0x3c6ef372);
    this.s2 = mix32(h + 0xdaa66d2b);
    this.s3 = mix32(h + 0x78dde6e4);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent child stream named by keys below this stream's path. */
  stream(...keys: StreamKey[]): Rng {
    return new Rng(this.seed, [...this.path, ...keys]);
  }

  /** Uniform uint32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of precision. */
  float(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.float();
  }

  /** Uniform integer in [0, n), unbiased. */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    if (n <= 4294967296) {
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  choice<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('Rng.choice on an empty array');
    return arr[this.int(arr.length)];
  }

  /** Serialisable state (for checkpoints); restore with Rng.fromState. */
  getState(): RngState {
    return { seed: this.seed, path: [...this.path], s: [this.s0, this.s1, this.s2, this.s3], spare: this.spareNormal };
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(state.seed, state.path);
    [r.s0, r.s1, r.s2, r.s3] = state.s;
    r.spareNormal = state.spare;
    return r;
  }
}

export interface RngState {
  seed: number;
  path: StreamKey[];
  s: [number, number, number, number];
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
