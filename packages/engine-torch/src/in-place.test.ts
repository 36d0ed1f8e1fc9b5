import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { maxRelErr, rand, runOn, torchAvailable, uniform } from './test-util';
import { lerp, lerpInPlace, lerpUpdate, sgdMomentumStep, sgdMomentumStepInPlace, sgdMomentumUpdate } from './ops/optim';

const ok = torchAvailable();
const d = ok ? describe : describe.skip;

const opts = { lr: 0.1, momentum: 0.9, weightDecay: 1e-2 };

/** a variable that is its memory's only owner (tf.variable shares the initial tensor's dataId) */
function own(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

/** torch.optim.SGD's formula in doubles: the reference for both update paths */
function sgdReference(p: Float32Array, g: Float32Array, b: Float32Array): { p: number[]; b: number[] } {
  const nb = Array.from(b, (v, i) => opts.momentum * v + (g[i] + opts.weightDecay * p[i]));
  return { p: Array.from(p, (v, i) => v - opts.lr * nb[i]), b: nb };
}

d('in-place optimiser updates and filter layout on the torch backend', () => {
  beforeEach(() => tf.setBackend('torch'));

  it('sgdMomentumStepInPlace overwrites param and buf with torch.optim.SGD values, keeping their dataIds', () => {
    const shape = [3, 3, 4, 5];
    const [pv, gv, bv] = [1, 2, 3].map((s) => uniform(s, 180));
    const p = own(tf.tensor(pv, shape));
    const buf = own(tf.tensor(bv, shape));
    const g = tf.tensor(gv, shape);
    const [pid, bid] = [p.dataId, buf.dataId];
    expect(sgdMomentumStepInPlace(p, g, buf, opts)).toBe(true);
    expect(p.dataId).toBe(pid);
    expect(buf.dataId).toBe(bid);
    const ref = sgdReference(pv, gv, bv);
    expect(maxRelErr(Array.from(p.dataSync()), ref.p, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(maxRelErr(Array.from(buf.dataSync()), ref.b, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    tf.dispose([p, buf, g]);
  });

  it('refuses, changing nothing, when another tensor shares the memory', () => {
    const init = rand(1, [6]);
    const p = tf.variable(init); // p and init share one dataId
    const buf = own(tf.zerosLike(p));
    const g = rand(2, [6]);
    const before = Array.from(init.dataSync());
    expect(sgdMomentumStepInPlace(p, g, buf, opts)).toBe(false);
    expect(Array.from(init.dataSync())).toEqual(before);
    expect(Array.from(p.dataSync())).toEqual(before);
    init.dispose();
    // an alias made by a kernel (identity) shares the native tensor itself
    const alias = tf.clone(p);
    expect(sgdMomentumStepInPlace(p, g, buf, opts)).toBe(false);
    expect(Array.from(alias.dataSync())).toEqual(before);
    alias.dispose();
    // a view made by a kernel (reshape) shares the storage
    const view = tf.reshape(p, [2, 3]);
    expect(lerpInPlace(p, g, 0.5)).toBe(false);
    expect(Array.from(view.dataSync())).toEqual(before);
    view.dispose();
    // sole owner now
    expect(sgdMomentumStepInPlace(p, g, buf, opts)).toBe(true);
    expect(Array.from(p.dataSync())).not.toEqual(before);
    tf.dispose([p, buf, g]);
  });

  it('lerpUpdate allocates while the variable shares its memory, then works in place, with lerp\'s values', () => {
    const init = rand(5, [3, 4]);
    const a = tf.variable(init); // shares init's dataId
    const b = rand(6, [3, 4]);
    const expected1 = Array.from(lerp(a, b, 0.25).dataSync());
    lerpUpdate(a, b, 0.25);
    expect(a.dataId).not.toBe(init.dataId);
    expect(Array.from(init.dataSync())).toEqual(Array.from(rand(5, [3, 4]).dataSync())); // untouched
    expect(Array.from(a.dataSync())).toEqual(expected1);
    const id = a.dataId;
    const expected2 = Array.from(lerp(a, b, 0.25).dataSync());
    lerpUpdate(a, b, 0.25);
    expect(a.dataId).toBe(id);
    expect(maxRelErr(Array.from(a.dataSync()), expected2, 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    tf.dispose([init, a, b]);
  });

  it('lerpInPlace equals lerp', () => {
    const a = own(rand(3, [4, 7]));
    const b = rand(4, [4, 7]);
    const expected = Array.from(lerp(a, b, 0.001).dataSync());
    expect(lerpInPlace(a, b, 0.001)).toBe(true);
    expect(maxRelErr(Array.from(a.dataSync()), expected, 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    tf.dispose([a, b]);
  });

  it('a conv filter keeps its values when the engine re-lays it out, and the in-place update still matches', () => {
    const shape = [3, 3, 4, 6]; // HWIO
    const [wv, gv, bv] = [5, 6, 7].map((s) => uniform(s, 216));
    const w = own(tf.tensor(wv, shape));
    const x = rand(8, [2, 5, 5, 4]);
    const y1 = tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same'); // re-lays out w's memory
    expect(Array.from(w.dataSync())).toEqual(Array.from(wv));
    const y2 = tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same');
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    const cpu = runOn('cpu', () => tf.conv2d(tf.tensor(Array.from(x.dataSync()), [2, 5, 5, 4]) as tf.Tensor4D, tf.tensor(wv, shape) as tf.Tensor4D, 1, 'same'))[0];
    tf.setBackend('torch');
    expect(maxRelErr(Array.from(y1.dataSync()), cpu.values)).toBeLessThanOrEqual(1);
    // a buffer in the plain HWIO order meets a parameter in the filter order: values still right
    const buf = own(tf.tensor(bv, shape));
    const g = tf.tensor(gv, shape);
    expect(sgdMomentumStepInPlace(w, g, buf, opts)).toBe(true);
    const ref = sgdReference(wv, gv, bv);
    expect(maxRelErr(Array.from(w.dataSync()), ref.p, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(maxRelErr(Array.from(buf.dataSync()), ref.b, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    // and a second step (now the fused pass over equal layouts)
    const ref2 = sgdReference(new Float32Array(ref.p), gv, new Float32Array(ref.b));
    expect(sgdMomentumStepInPlace(w, g, buf, opts)).toBe(true);
    expect(maxRelErr(Array.from(w.dataSync()), ref2.p, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(maxRelErr(Array.from(buf.dataSync()), ref2.b, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    tf.dispose([w, x, y1, y2, buf, g]);
  });

  it('sgdMomentumUpdate (allocating, then in place) gives the bits of sgdMomentumStep over steps (with and without weight decay)', () => {
    const shape = [3, 3, 5, 7]; // 315 values: vectorised body and scalar tail
    for (const o of [opts, { ...opts, weightDecay: 0 }]) {
      const p0 = uniform(11, 315);
      let pa = tf.tensor(p0, shape);
      let ba = tf.zeros(shape);
      // the first step takes the allocating path (tf.variable shares the initial tensors), later ones not
      const pi = tf.variable(tf.tensor(p0, shape));
      const bi = tf.variable(tf.zeros(shape));
      const inPlace: boolean[] = [];
      for (let s = 0; s < 3; s++) {
        const g = tf.tensor(uniform(20 + s, 315), shape);
        const r = sgdMomentumStep(pa, g, ba, o);
        tf.dispose([pa, ba]);
        [pa, ba] = [r.param, r.buf];
        // sgdMomentumUpdate takes the in-place path when it can: then the dataId stays
        const id = pi.dataId;
        sgdMomentumUpdate(pi, g, bi, o);
        inPlace.push(pi.dataId === id);
        g.dispose();
      }
      expect(inPlace).toEqual([false, true, true]);
      // the same fused multiply-adds as ATen's: the same bits, so training runs do not change
      expect(Array.from(pi.dataSync())).toEqual(Array.from(pa.dataSync()));
      expect(Array.from(bi.dataSync())).toEqual(Array.from(ba.dataSync()));
      tf.dispose([pa, ba, pi, bi]);
    }
  });
});
