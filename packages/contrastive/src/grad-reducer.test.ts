import { createProcessGroup, selectBackend, tf, type Collectives } from '@dilo/core';
import { Moco } from './moco';
import { freePort } from './launch';

/**
 * The gradient reducer (DDP's buckets, started inside the backward pass) on a one-process c10d
 * group: MoCo steps must equal the same steps without a group bit for bit (a sum over one rank
 * is the identity, whatever the buckets), and with small buckets the all-reduces must start
 * while the backward pass is still running, head first. Needs the torch engine (CI installs
 * libtorch and fails here without it; elsewhere the test is skipped with a visible message).
 */
let torch = true;
beforeAll(async () => {
  try {
    await selectBackend({ backend: 'torch', log: false });
  } catch (err) {
    torch = false;
    if (process.env.CI === 'true') throw err;
    process.stderr.write(`\n  SKIPPED gradient reducer test: ${(err as Error).message}\n\n`);
  }
});

type Start = { tensors: number; duringBackward: boolean; slot: number };

function threeSteps(dist: Collectives | null, bucketMb?: number, onStart?: (m: Moco) => void) {
  const m = new Moco({ method: 'mocov2', arch: 'resnet18', width: 0.125, smallStem: true, dim: 16, queueSize: 16, momentum: 0.9, temperature: 0.2, keyBnGroups: 2, queryBnGroups: 1 }, 3, undefined, dist);
  if (bucketMb !== undefined) m.bucketMb = bucketMb;
  onStart?.(m);
  const n = 8;
  const size = 12;
  const a = Float32Array.from({ length: n * 3 * size * size }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: n * 3 * size * size }, (_, i) => Math.cos(i * 0.21));
  const losses = [m.step(a, b, n, size, 0.05).loss, m.step(b, a, n, size, 0.05).loss, m.step(a, b, n, size, 0.05).loss];
  const read = (es: Map<string, { variable: tf.Variable }>) => new Map([...es].map(([name, e]) => [name, Array.from(e.variable.dataSync() as Float32Array)]));
  const out = { losses, q: read(m.encoderQ.params.params), qBuffers: read(m.encoderQ.params.buffers), k: read(m.encoderK.params.params) };
  const sizes = new Map([...m.encoderQ.params.params].map(([name, e]) => [name, e.variable.size]));
  m.dispose();
  return { ...out, sizes };
}

test('bucketed all-reduce inside the backward pass: same steps as without a group, buckets start during backward, last layer first', async () => {
  if (!torch) return;
  const plain = threeSteps(null);
  const group = createProcessGroup({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort(), timeoutMs: 10_000, iface: 'lo' });
  try {
    const starts: Start[] = [];
    const firstSizes: number[] = [];
    let moco: Moco | null = null;
    const spy: Collectives = {
      rank: group.rank,
      worldSize: group.worldSize,
      allReduce: group.allReduce.bind(group),
      allReduceBucketed: group.allReduceBucketed.bind(group),
      allReduceInPlace: group.allReduceInPlace.bind(group),
      allGather: group.allGather.bind(group),
      broadcast: group.broadcast.bind(group),
      barrier: group.barrier.bind(group),
      destroy: group.destroy.bind(group),
      allReduceStart: (xs, scale, slot) => {
        starts.push({ tensors: xs.length, duringBackward: moco!.encoderQ.params.reader !== null, slot: slot ?? 0 });
        firstSizes.push(xs[0].size);
        return group.allReduceStart(xs, scale, slot);
      },
    };
    // 0.01 MB buckets: the 1/8-width ResNet-18's ~44k weights give several per step
    const dp = threeSteps(spy, 0.01, (m) => (moco = m));
    expect(dp.losses).toEqual(plain.losses);
    expect(dp.q).toEqual(plain.q);
    expect(dp.qBuffers).toEqual(plain.qBuffers);
    expect(dp.k).toEqual(plain.k);
    const perStep = starts.length / 3;
    expect(perStep).toBeGreaterThan(3);
    const step = starts.slice(0, perStep);
    // every bucket but the last (loss statistics and BN buffers) starts inside the backward pass
    expect(step.slice(0, -1).every((s) => s.duringBackward)).toBe(true);
    expect(step[step.length - 1].duringBackward).toBe(false);
    expect(step.map((s) => s.slot)).toEqual(step.map((_, i) => i));
    // the first gradient ready is the last one the forward pass read: the head's output bias
    expect(firstSizes[0]).toBe(plain.sizes.get('fc.2.bias'));
    expect(plain.sizes.get('fc.2.bias')).toBe(16);
  } finally {
    group.destroy();
  }
}, 60_000);
