import { selectBackend, tf } from '@dilo/core';
import { Moco } from './moco';
import { registerWasmTrainingKernels } from './wasm-kernels';

/**
 * Three MoCo v2 steps on the torch engine (fused BN, both convolution gradients in one call,
 * filters re-laid out for oneDNN, SGD and the key-encoder update in place from the second step)
 * must give the losses, query and key weights of the same steps on tfjs-wasm with plain kernels.
 * The torch engine needs libtorch: CI installs it (and fails here without it); elsewhere the
 * test is skipped with a visible message.
 */
let torch = true;
beforeAll(async () => {
  try {
    await selectBackend({ backend: 'torch', log: false });
  } catch (err) {
    torch = false;
    if (process.env.CI === 'true') throw err;
    process.stderr.write(`\n  SKIPPED engine parity test: ${(err as Error).message}\n\n`);
  }
});

async function threeSteps(backend: 'torch' | 'wasm'): Promise<{ losses: number[]; q: Map<string, Float32Array>; k: Map<string, Float32Array> }> {
  await selectBackend({ backend, log: false });
  if (backend === 'wasm') registerWasmTrainingKernels();
  const m = new Moco({ method: 'mocov2', arch: 'resnet18', width: 0.125, smallStem: true, dim: 16, queueSize: 16, momentum: 0.9, temperature: 0.2, keyBnGroups: 2 }, 3);
  const n = 8;
  const size = 12;
  const a = Float32Array.from({ length: n * 3 * size * size }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: n * 3 * size * size }, (_, i) => Math.cos(i * 0.21));
  const losses = [m.step(a, b, n, size, 0.05).loss, m.step(b, a, n, size, 0.05).loss, m.step(a, b, n, size, 0.05).loss];
  const read = (es: Map<string, { variable: tf.Variable }>) => new Map([...es].map(([name, e]) => [name, Float32Array.from(e.variable.dataSync() as Float32Array)]));
  const out = { losses, q: read(m.encoderQ.params.params), k: read(m.encoderK.params.params) };
  m.dispose();
  return out;
}

test('three MoCo steps on the torch engine equal the same steps on wasm', async () => {
  if (!torch) return;
  const t = await threeSteps('torch');
  const w = await threeSteps('wasm');
  t.losses.forEach((l, i) => expect(Math.abs(l - w.losses[i])).toBeLessThan(1e-3 * Math.abs(w.losses[i])));
  for (const which of ['q', 'k'] as const) {
    // per tensor: the largest difference against the tensor's own scale
    let worst = 0;
    let at = '';
    for (const [name, v] of t[which]) {
      const ref = w[which].get(name)!;
      expect(v.length).toBe(ref.length);
      let d = 0;
      let scale = 0;
      for (let i = 0; i < v.length; i++) {
        d = Math.max(d, Math.abs(v[i] - ref[i]));
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      if (d / scale > worst) [worst, at] = [d / scale, name];
    }
    // measured 0.022 (a BN bias, near zero after three steps; the engine before the in-place
    // updates gave the same); a wrong layout or a skipped update gives O(1)
    if (worst >= 0.1) throw new Error(`${which} ${at}: differs by ${worst.toFixed(3)} of its scale`);
  }
});
