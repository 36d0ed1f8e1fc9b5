import { Rng } from './index';

describe('Rng', () => {
  it('is reproducible under a seed and differs across seeds', () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('gives streams that depend only on their keys, not on draw order or worker count', () => {
    const seed = 42, epoch = 3, n = 64;
    const draw = (i: number) => {
      const r = new Rng(seed).stream('epoch', epoch, 'sample', i);
      return [r.float(), r.int(1000), r.normal()];
    };
    const serial = Array.from({ length: n }, (_, i) => draw(i));
    for (const workers of [1, 2, 3, 8]) {
      // worker w takes samples w, w+workers, ...; workers run in reverse order
      const out: number[][] = new Array(n);
      for (let w = workers - 1; w >= 0; w--) for (let i = w; i < n; i += workers) out[i] = draw(i);
      expect(out).toEqual(serial);
    }
  });

  it('keeps sibling streams independent', () => {
    const root = new Rng(1);
    const a = root.stream('sample', 1), b = root.stream('sample', 2), c = root.stream('sample', '1');
    const xa = a.nextU32(), xb = b.nextU32(), xc = c.nextU32();
    expect(new Set([xa, xb, xc]).size).toBe(3);
    // large indices stay distinct (high 32 bits are mixed in)
    expect(root.stream(2 ** 32 + 5).nextU32()).not.toBe(root.stream(5).nextU32());
    // correlation between neighbouring streams is negligible
    const n = 2000;
    let sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < n; i++) {
      const x = root.stream('s', i).float(), y = root.stream('s', i + 1).float();
      sxy += x * y; sx += x; sy += y; sxx += x * x; syy += y * y;
    }
    const corr = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    expect(Math.abs(corr)).toBeLessThan(0.08);
  });

  it('has the right moments', () => {
    const r = new Rng(3);
    const n = 20000;
    let s = 0, s2 = 0, ints = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z; s2 += z * z;
      ints += r.int(10);
      if (r.bernoulli(0.3)) hits++;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
    expect(Math.abs(ints / n - 4.5)).toBeLessThan(0.1);
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(0.015);
  });

  it('restores from its saved state', () => {
    const r = new Rng(9).stream('x');
    r.normal();
    const state = JSON.parse(JSON.stringify(r.getState()));
    const next = [r.float(), r.normal(), r.int(77)];
    const back = Rng.fromState(state);
    expect([back.float(), back.normal(), back.int(77)]).toEqual(next);
  });

  it('shuffles into a permutation and rejects bad arguments', () => {
    const p = new Rng(5).permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(() => new Rng(1).int(0)).toThrow(/positive integer/);
    expect(() => new Rng(1).choice([])).toThrow(/empty/);
  });
});
