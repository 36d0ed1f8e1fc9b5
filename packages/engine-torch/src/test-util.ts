import * as tf from '@tensorflow/tfjs-core';
import { registerTorchBackend, torchBackendReason } from './register';

/**
 * Whether the torch backend can run here. Tests skip with a visible message when the addon
 * is not built, except under CI=true, where CI installs libtorch-dev and a missing addon is a failure.
 */
export function torchAvailable(): boolean {
  if (registerTorchBackend({ threads: 2 })) return true;
  const msg = `@dilo/engine-torch: torch backend unavailable, tests skipped: ${torchBackendReason()}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: libtorch-dev must be installed and the addon built)`);
  process.stderr.write(`\n  SKIPPED ${msg}\n\n`);
  return false;
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export function rand(seed: number, shape: number[], lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(uniform(seed, shape.reduce((a, b) => a * b, 1), lo, hi), shape);
}

/** Run `f` on a backend and return its outputs' values and shapes. */
export function runOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): { shape: number[]; dtype: string; values: number[] }[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const r = f();
    return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
  });
}

/** Largest |a - b| / (atol + rtol |b|) over the elements; <= 1 means within tolerance. */
export function maxRelErr(a: number[], b: number[], atol = 1e-4, rtol = 1e-4): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) continue;
    m = Math.max(m, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  }
  return m;
}
