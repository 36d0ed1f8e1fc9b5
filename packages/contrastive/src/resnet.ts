import { Rng, tf } from '@dilo/core';
import { ParamMap } from './params';
import { kaimingNormalFanOut, linearDefault } from './init';
import { batchNorm2dTail, type BatchNormMode, type BatchNormParams, type BatchNormTail } from './batchnorm';

export type ResNetArch = 'resnet18' | 'resnet34' | 'resnet50';
export const RESNET_ARCHS: readonly ResNetArch[] = ['resnet18', 'resnet34', 'resnet50'];

export interface ResNetConfig {
  arch: ResNetArch;
  /** channel width multiplier (1 = torchvision's 64-128-256-512 base widths) */
  width: number;
  /** small-image variant: 3x3 stride-1 stem and no max-pool (as for CIFAR-sized inputs) */
  smallStem: boolean;
}

const LAYOUT: Record<ResNetArch, { block: 'basic' | 'bottleneck'; blocks: [number, number, number, number] }> = {
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2] },
  resnet34: { block: 'basic', blocks: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
};

export interface EncoderOutput {
  /** the last convolutional map, NHWC [n, h, w, featureDim] (after the last block's ReLU) */
  map: tf.Tensor4D;
  /** global-average-pooled feature [n, featureDim] */
  pooled: tf.Tensor2D;
}

interface ConvSpec {
  name: string;
  stride: number;
  pad: number;
}

interface BlockSpec {
  prefix: string;
  stride: number;
  convs: ConvSpec[];
  downsample: boolean;
}

function scaled(c: number, width: number): number {
  return Math.max(1, Math.round(c * width));
}

/**
 * A torchvision ResNet (v1.5: the stride of a bottleneck is on its 3x3 conv) without the
 * classifier, its parameters in a ParamMap named like torchvision's state_dict.
 */
export class ResNet {
  readonly featureDim: number;
  private readonly blocks: BlockSpec[] = [];

  /** the map must be fresh or already hold this network's names (for a second encoder) */
  constructor(
    readonly config: ResNetConfig,
    readonly params: ParamMap,
    rng: Rng,
    /** false: zero conv weights (for networks whose weights are loaded right after) */
    private readonly randomInit = true,
  ) {
    if (!(config.width > 0)) throw new RangeError(`width must be positive, got ${config.width}`);
    const layout = LAYOUT[config.arch];
    if (!layout) throw new RangeError(`unknown architecture ${config.arch} (expected ${RESNET_ARCHS.join(', ')})`);
    const expansion = layout.block === 'basic' ? 1 : 4;
    const initRng = rng.stream('init', 'backbone');
    const stem = scaled(64, config.width);
    const k = config.smallStem ? 3 : 7;
    this.conv('conv1', initRng, k, 3, stem);
    this.bn('bn1', stem);
    let cin = stem;
    for (let l = 0; l < 4; l++) {
      const planes = scaled(64 * 2 ** l, config.width);
      for (let b = 0; b < layout.blocks[l]; b++) {
        const prefix = `layer${l + 1}.${b}`;
        const stride = b === 0 && l > 0 ? 2 : 1;
        const cout = planes * expansion;
        const downsample = b === 0 && (stride !== 1 || cin !== cout);
        let convs: ConvSpec[];
        if (layout.block === 'basic') {
          this.conv(`${prefix}.conv1`, initRng, 3, cin, planes);
          this.bn(`${prefix}.bn1`, planes);
          this.conv(`${prefix}.conv2`, initRng, 3, planes, planes);
          this.bn(`${prefix}.bn2`, planes);
          convs = [
            { name: 'conv1', stride, pad: 1 },
            { name: 'conv2', stride: 1, pad: 1 },
          ];
        } else {
          this.conv(`${prefix}.conv1`, initRng, 1, cin, planes);
          this.bn(`${prefix}.bn1`, planes);
          this.conv(`${prefix}.conv2`, initRng, 3, planes, planes);
          this.bn(`${prefix}.bn2`, planes);
          this.conv(`${prefix}.conv3`, initRng, 1, planes, cout);
          this.bn(`${prefix}.bn3`, cout);
          convs = [
            { name: 'conv1', stride: 1, pad: 0 },
            { name: 'conv2', stride, pad: 1 },
            { name: 'conv3', stride: 1, pad: 0 },
          ];
        }
        if (downsample) {
          this.conv(`${prefix}.downsample.0`, initRng, 1, cin, cout);
          this.bn(`${prefix}.downsample.1`, cout);
        }
        this.blocks.push({ prefix, stride, convs, downsample });
        cin = cout;
      }
    }
    this.featureDim = cin;
  }

  private conv(name: string, rng: Rng, k: number, cin: number, cout: number): void {
    this.params.addParam(`${name}.weight`, 'conv', this.randomInit ? kaimingNormalFanOut(rng, k, k, cin, cout) : tf.zeros([k, k, cin, cout]));
  }

  private bn(name: string, c: number): void {
    // torchvision: weight 1, bias 0 (zero_init_residual off by default)
    this.params.addParam(`${name}.weight`, 'vector', tf.ones([c]));
    this.params.addParam(`${name}.bias`, 'vector', tf.zeros([c]));
    this.params.addBuffer(`${name}.running_mean`, tf.zeros([c]));
    this.params.addBuffer(`${name}.running_var`, tf.ones([c]));
  }

  private bnParams(name: string): BatchNormParams {
    return {
      gamma: this.params.read(`${name}.weight`),
      beta: this.params.read(`${name}.bias`),
      runningMean: this.params.buffer(`${name}.running_mean`),
      runningVar: this.params.buffer(`${name}.running_var`),
    };
  }

  private convBn(x: tf.Tensor4D, conv: string, bn: string, stride: number, pad: number, mode: BatchNormMode, tail?: BatchNormTail): tf.Tensor4D {
    const y = tf.conv2d(x, this.params.read(`${conv}.weight`) as tf.Tensor4D, stride, pad);
    const out = batchNorm2dTail(y, this.bnParams(bn), mode, tail);
    if (noTape()) y.dispose(); // nothing needs the pre-BN map without a backward pass
    return out;
  }

  /** x: NHWC float32 (normalised). Returns the last conv map and the pooled feature. */
  forward(x: tf.Tensor4D, mode: BatchNormMode): EncoderOutput {
    const small = this.config.smallStem;
    // Without a gradient tape nothing needs a block's intermediates once it is done: each block
    // runs in its own tidy and the previous activation is freed, so peak memory is one block's
    // working set (as in PyTorch), not the whole network's (a tidy keeps all until it ends).
    const free = noTape();
    const stage = (prev: tf.Tensor4D, f: () => tf.Tensor4D): tf.Tensor4D => {
      if (!free) return f();
      const out = tf.tidy(f);
      if (prev !== x) prev.dispose();
      return out;
    };
    let h = stage(x, () => {
      const s = this.convBn(x, 'conv1', 'bn1', small ? 1 : 2, small ? 1 : 3, mode, { relu: true });
      if (small) return s;
      const pooled = tf.maxPool(s, 3, 2, 1) as tf.Tensor4D;
      if (free) s.dispose();
      return pooled;
    });
    for (const b of this.blocks) h = stage(h, () => this.block(b, h, mode));
    return { map: h, pooled: tf.mean(h, [1, 2]) as tf.Tensor2D };
  }

  private block(b: BlockSpec, h: tf.Tensor4D, mode: BatchNormMode): tf.Tensor4D {
    const identity = b.downsample ? this.convBn(h, `${b.prefix}.downsample.0`, `${b.prefix}.downsample.1`, b.stride, 0, mode) : h;
    // without a backward pass each intermediate is freed once the next layer has read it, as
    // PyTorch does, instead of at the end of the block's tidy
    const free = noTape();
    let y = h;
    b.convs.forEach((c, i) => {
      // the last BN of a block takes the shortcut before its ReLU (one fused kernel where available)
      const tail: BatchNormTail = i < b.convs.length - 1 ? { relu: true } : { residual: identity, relu: true };
      const next = this.convBn(y, `${b.prefix}.${c.name}`, `${b.prefix}.bn${i + 1}`, c.stride, c.pad, mode, tail);
      if (free && y !== h) y.dispose();
      y = next;
    });
    if (free && identity !== h) identity.dispose();
    return y;
  }
}

/** true when no gradient tape is recording (feature extraction, key encoding): intermediates can go */
function noTape(): boolean {
  return tf.engine().state.gradientDepth === 0;
}

/** MoCo's projection heads, named as in the reference (fc.* replaces torchvision's classifier). */
export type HeadKind = 'linear' | 'mlp';

export class ProjectionHead {
  constructor(
    readonly kind: HeadKind,
    readonly params: ParamMap,
    inDim: number,
    readonly outDim: number,
    rng: Rng,
  ) {
    const r = rng.stream('init', 'head');
    if (kind === 'linear') {
      const fc = linearDefault(r, inDim, outDim);
      params.addParam('fc.weight', 'linear', fc.weight);
      params.addParam('fc.bias', 'vector', fc.bias);
    } else {
      // MoCo v2: fc = Sequential(Linear(d, d), ReLU, Linear(d, out))
      const fc0 = linearDefault(r, inDim, inDim);
      params.addParam('fc.0.weight', 'linear', fc0.weight);
      params.addParam('fc.0.bias', 'vector', fc0.bias);
      const fc2 = linearDefault(r, inDim, outDim);
      params.addParam('fc.2.weight', 'linear', fc2.weight);
      params.addParam('fc.2.bias', 'vector', fc2.bias);
    }
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const p = (n: string) => this.params.read(n);
    if (this.kind === 'linear') return tf.add(tf.matMul(x, p('fc.weight') as tf.Tensor2D), p('fc.bias'));
    const h = tf.relu(tf.add(tf.matMul(x, p('fc.0.weight') as tf.Tensor2D), p('fc.0.bias')));
    return tf.add(tf.matMul(h as tf.Tensor2D, p('fc.2.weight') as tf.Tensor2D), p('fc.2.bias'));
  }
}

export interface EncoderConfig extends ResNetConfig {
  head: HeadKind;
  /** output feature dimension of the head (MoCo: 128) */
  dim: number;
}

/** A backbone with its projection head, sharing one ParamMap. */
export class Encoder {
  readonly params = new ParamMap();
  readonly backbone: ResNet;
  readonly head: ProjectionHead;

  constructor(
    readonly config: EncoderConfig,
    rng: Rng,
  ) {
    this.backbone = new ResNet(config, this.params, rng);
    this.head = new ProjectionHead(config.head, this.params, this.backbone.featureDim, config.dim, rng);
  }

  /** projected embedding [n, dim] (not normalised) */
  embed(x: tf.Tensor4D, mode: BatchNormMode): tf.Tensor2D {
    // the map is an intermediate here; the caller's tidy frees it
    const { pooled } = this.backbone.forward(x, mode);
    return this.head.forward(pooled);
  }

  dispose(): void {
    this.params.dispose();
  }
}
