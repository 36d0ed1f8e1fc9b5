import { Rng, selectBackend, tf } from '@dilo/core';
import { infoNCE, l2normalize } from './infonce';
import { KeyQueue } from './queue';
import { learningRate, scaledLearningRate, Sgd } from './sgd';
import { Encoder, ResNet } from './resnet';
import { ParamMap } from './params';
import { defaultKeyBnGroups } from './moco';
import { registerWasmTrainingKernels } from './wasm-kernels';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', log: false });
  registerWasmTrainingKernels();
});

test('InfoNCE equals the cross-entropy of [q.k, q.queue] / T with the positive as class 0', () => {
  const q = [
    [0.6, 0.8],
    [1, 0],
  ];
  const k = [
    [0, 1],
    [0.8, 0.6],
  ];
  const queue = [
    [1, 0, -1],
    [0, 1, 0],
  ]; // [dim, K], columns are keys
  const T = 0.5;
  let expected = 0;
  for (let i = 0; i < 2; i++) {
    const logits = [q[i][0] * k[i][0] + q[i][1] * k[i][1], ...[0, 1, 2].map((j) => q[i][0] * queue[0][j] + q[i][1] * queue[1][j])].map((v) => v / T);
    const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
    expected += (lse - logits[0]) / 2;
  }
  const { loss, logits } = infoNCE(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(queue), T);
  expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
  expect(logits.shape).toEqual([2, 4]);
  expect(() => infoNCE(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(queue), 0)).toThrow(/temperature/);
});

test('l2normalize gives unit rows', () => {
  const n = l2normalize(tf.tensor2d([[3, 4], [0, 2]])).arraySync();
  expect(n[0][0]).toBeCloseTo(0.6, 6);
  expect(n[1][1]).toBeCloseTo(1, 6);
});

test('the queue is a ring buffer of key columns: enqueue replaces the oldest batch', () => {
  const qu = new KeyQueue(2, 4, new Rng(0));
  for (let j = 0; j < 4; j++) expect(Math.hypot(qu.data[j], qu.data[4 + j])).toBeCloseTo(1, 5); // normalised columns
  qu.enqueue(Float32Array.from([1, 2, 3, 4]), 2); // keys [1,2] and [3,4]
  expect(Array.from(qu.data.slice(0, 2))).toEqual([1, 3]);
  expect(Array.from(qu.data.slice(4, 6))).toEqual([2, 4]);
  expect(qu.ptr).toBe(2);
  qu.enqueue(Float32Array.from([5, 6, 7, 8]), 2);
  qu.enqueue(Float32Array.from([9, 10, 11, 12]), 2); // wraps: overwrites columns 0-1
  expect(Array.from(qu.data.slice(0, 4))).toEqual([9, 11, 5, 7]);
  expect(qu.ptr).toBe(2);
  expect(() => qu.enqueue(new Float32Array(6), 3)).toThrow(/multiple/);
});

test('SGD matches torch.optim.SGD(momentum 0.9, weight_decay 1e-4) over two steps', () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const sgd = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
  const g = tf.tensor1d([0.5, 0.25]);
  sgd.step(new Map([['w', p]]), new Map([['w', g]]), 0.1);
  sgd.step(new Map([['w', p]]), new Map([['w', g]]), 0.1);
  // by hand: d1 = g + wd p0; b1 = d1; p1 = p0 - lr b1; d2 = g + wd p1; b2 = 0.9 b1 + d2; p2 = p1 - lr b2
  const ref = [1, -2].map((p0, i) => {
    const gi = [0.5, 0.25][i];
    const b1 = gi + 1e-4 * p0;
    const p1 = p0 - 0.1 * b1;
    const b2 = 0.9 * b1 + gi + 1e-4 * p1;
    return p1 - 0.1 * b2;
  });
  const got = p.dataSync();
  expect(got[0]).toBeCloseTo(ref[0], 6);
  expect(got[1]).toBeCloseTo(ref[1], 6);
});

test('schedules: lr 0.03 per 256 images, cosine and step (x0.1 at 120 and 160 of 200)', () => {
  expect(scaledLearningRate(256)).toBeCloseTo(0.03, 10);
  expect(scaledLearningRate(32)).toBeCloseTo(0.00375, 10);
  expect(learningRate(0.03, 'cosine', 0, 200)).toBeCloseTo(0.03, 10);
  expect(learningRate(0.03, 'cosine', 100, 200)).toBeCloseTo(0.015, 10);
  expect(learningRate(0.03, 'step', 119, 200)).toBeCloseTo(0.03, 10);
  expect(learningRate(0.03, 'step', 120, 200)).toBeCloseTo(0.003, 10);
  expect(learningRate(0.03, 'step', 160, 200)).toBeCloseTo(0.0003, 10);
});

test('key BN groups: 32 images per group like the reference, else groups of at least 8', () => {
  expect(defaultKeyBnGroups(256)).toBe(8);
  expect(defaultKeyBnGroups(32)).toBe(4);
  expect(defaultKeyBnGroups(16)).toBe(2);
  expect(defaultKeyBnGroups(8)).toBe(1);
});

test('ResNets have torchvision parameter counts and names; maps and pooled features have the right shapes', () => {
  // torchvision: resnet18 11,689,512 and resnet50 25,557,032 parameters with the 1000-class fc
  const count = (arch: 'resnet18' | 'resnet34' | 'resnet50') => {
    const pm = new ParamMap();
    const net = new ResNet({ arch, width: 1, smallStem: false }, pm, new Rng(0), false);
    const n = pm.count() + (net.featureDim * 1000 + 1000);
    const names = [...pm.params.keys()];
    pm.dispose();
    return { n, names, dim: net.featureDim };
  };
  const r18 = count('resnet18');
  expect(r18.n).toBe(11689512);
  expect(r18.names).toContain('layer2.0.downsample.0.weight');
  expect(r18.names).toContain('layer4.1.bn2.bias');
  const r50 = count('resnet50');
  expect(r50.n).toBe(25557032);
  expect(r50.dim).toBe(2048);
  expect(r50.names).toContain('layer1.0.conv3.weight');

  const enc = new Encoder({ arch: 'resnet18', width: 0.25, smallStem: true, head: 'mlp', dim: 128 }, new Rng(1));
  expect([...enc.params.params.keys()].filter((k) => k.startsWith('fc.'))).toEqual(['fc.0.weight', 'fc.0.bias', 'fc.2.weight', 'fc.2.bias']);
  tf.tidy(() => {
    const out = enc.backbone.forward(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, { training: false });
    expect(out.map.shape).toEqual([2, 4, 4, 128]);
    expect(out.pooled.shape).toEqual([2, 128]);
    expect(enc.embed(tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D, { training: true }).shape).toEqual([2, 128]);
  });
  const big = new ResNet({ arch: 'resnet18', width: 0.125, smallStem: false }, new ParamMap(), new Rng(0));
  tf.tidy(() => expect(big.forward(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, { training: false }).map.shape).toEqual([1, 2, 2, 64]));
  enc.dispose();
});

test('kaiming fan_out init: conv weight std is sqrt(2 / (out * k * k)); BN weight 1, bias 0', () => {
  const pm = new ParamMap();
  new ResNet({ arch: 'resnet18', width: 0.5, smallStem: true }, pm, new Rng(0));
  const w = pm.param('layer3.0.conv1.weight'); // [3, 3, 64, 128]
  const v = Array.from(w.dataSync() as Float32Array);
  const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  expect(std).toBeCloseTo(Math.sqrt(2 / (128 * 9)), 3);
  expect(Array.from(pm.param('bn1.weight').dataSync()).every((x) => x === 1)).toBe(true);
  expect(Array.from(pm.param('bn1.bias').dataSync()).every((x) => x === 0)).toBe(true);
  pm.dispose();
});
