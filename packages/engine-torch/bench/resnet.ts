import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from '../src/index';

// ResNets written in plain tfjs ops (NHWC), laid out like torchvision's: convolutions
// without bias, batch norm after each, ReLU; basic blocks (ResNet-18) or bottlenecks
// (ResNet-50, stride on the 3x3 as in torchvision). Batch norm in training mode is plain
// ops (moments, rsqrt, mul, add) so the gradient needs no special kernel.

export interface BN {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}
export interface Block {
  conv: tf.Variable[];
  bn: BN[];
  strides: number[];
  pads: number[];
  down?: { conv: tf.Variable; bn: BN; stride: number };
}
export interface ResNet {
  stem: { conv: tf.Variable; bn: BN; stride: number; pad: number; maxPool: boolean };
  blocks: Block[];
  fc: { w: tf.Variable; b: tf.Variable };
}

let seed = 1;
function heConv(k: number, cin: number, cout: number): tf.Variable {
  return tf.variable(tf.tidy(() => tf.mul(tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', seed++), Math.sqrt(2 / (k * k * cout)))));
}
function bn(c: number): BN {
  return { gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])), mean: tf.zeros([c]), variance: tf.ones([c]) };
}

/** ResNet-18 (basic blocks [2,2,2,2]) or ResNet-50 (bottlenecks [3,4,6,3]); smallStem: 3x3 stride-1 stem, no max-pool. */
export function makeResNet(depth: 18 | 50, classes: number, smallStem: boolean): ResNet {
  const bottleneck = depth === 50;
  const counts = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  const expansion = bottleneck ? 4 : 1;
  const stem = smallStem
    ? { conv: heConv(3, 3, 64), bn: bn(64), stride: 1, pad: 1, maxPool: false }
    : { conv: heConv(7, 3, 64), bn: bn(64), stride: 2, pad: 3, maxPool: true };
  const blocks: Block[] = [];
  let cin = 64;
  counts.forEach((n, stage) => {
    const width = 64 * 2 ** stage;
    for (let i = 0; i < n; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const cout = width * expansion;
      const b: Block = bottleneck
        ? { conv: [heConv(1, cin, width), heConv(3, width, width), heConv(1, width, cout)], bn: [bn(width), bn(width), bn(cout)], strides: [1, stride, 1], pads: [0, 1, 0] }
        : { conv: [heConv(3, cin, width), heConv(3, width, width)], bn: [bn(width), bn(width)], strides: [stride, 1], pads: [1, 1] };
      if (stride !== 1 || cin !== cout) b.down = { conv: heConv(1, cin, cout), bn: bn(cout), stride };
      blocks.push(b);
      cin = cout;
    }
  });
  const fc = { w: tf.variable(tf.tidy(() => tf.mul(tf.randomNormal([cin, classes], 0, 1, 'float32', seed++), 1 / Math.sqrt(cin)))), b: tf.variable(tf.zeros([classes])) };
  return { stem, blocks, fc };
}

/** 'plain': tfjs ops (moments, rsqrt, mul, add); 'fused': batchNormTrain (one ATen kernel on torch). */
export type BnMode = 'plain' | 'fused';
let bnMode: BnMode = 'plain';
export function setBatchNormMode(m: BnMode): void {
  bnMode = m;
}

function batchNorm(x: tf.Tensor4D, p: BN, training: boolean, relu = false, residual?: tf.Tensor4D): tf.Tensor4D {
  if (training && bnMode === 'fused') return batchNormTrain(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, { relu, residual }).y as tf.Tensor4D;
  let y: tf.Tensor4D;
  if (!training) y = tf.batchNorm(x, p.mean, p.variance, p.beta, p.gamma, 1e-5) as tf.Tensor4D;
  else {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), p.gamma), p.beta);
  }
  if (residual) y = tf.add(y, residual);
  return relu ? tf.relu(y) : y;
}

const conv = (x: tf.Tensor4D, w: tf.Variable, stride: number, pad: number) => tf.conv2d(x, w as tf.Tensor4D, stride, pad);

/**
 * Logits [n, classes] for NHWC images. Each block runs in its own tidy so its intermediates
 * are freed when it ends (under a gradient tape, the tensors the gradients need are kept).
 */
export function forward(net: ResNet, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  const s = net.stem;
  let h = tf.tidy(() => {
    const y = batchNorm(conv(x, s.conv, s.stride, s.pad), s.bn, training, true);
    return s.maxPool ? tf.maxPool(y, 3, 2, 1) : y;
  });
  for (const b of net.blocks) {
    const prev = h;
    h = tf.tidy(() => {
      const skip = b.down ? batchNorm(conv(prev, b.down.conv, b.down.stride, 0), b.down.bn, training) : prev;
      let y = prev;
      const last = b.conv.length - 1;
      for (let i = 0; i < b.conv.length; i++) {
        y = batchNorm(conv(y, b.conv[i], b.strides[i], b.pads[i]), b.bn[i], training, true, i === last ? skip : undefined);
      }
      return y;
    });
    prev.dispose();
  }
  return tf.tidy(() => {
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, net.fc.w as tf.Tensor2D), net.fc.b) as tf.Tensor2D;
  });
}

export function trainableVariables(net: ResNet): tf.Variable[] {
  const v: tf.Variable[] = [net.stem.conv, net.stem.bn.gamma, net.stem.bn.beta];
  for (const b of net.blocks) {
    b.conv.forEach((c, i) => v.push(c, b.bn[i].gamma, b.bn[i].beta));
    if (b.down) v.push(b.down.conv, b.down.bn.gamma, b.down.bn.beta);
  }
  v.push(net.fc.w, net.fc.b);
  return v;
}
