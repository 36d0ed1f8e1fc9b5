import { Rng, tf } from '@dilo/core';
import { BN_EPS, ParamMap, ResNet, type ResNetArch, type ResNetConfig } from '@dilo/contrastive';

/**
 * The ResNet of the C4 recipe (detectron2 R50-C4, used by MoCo's detection transfer): stem and
 * res2-res4 (torchvision layer1-layer3) form the trunk whose stride-16 map feeds the RPN and ROI
 * Align; res5 (layer4, first block stride 2) runs on each 14x14 ROI feature as the box head.
 *
 * The parameters are those of @dilo/contrastive's ResNet (torchvision names, so dilo and
 * torchvision checkpoints load as they are); the forward is written here because the contrastive
 * ResNet runs all four stages at once.
 *
 * Batch norm is frozen (detectron2's FrozenBatchNorm2d): y = x * gamma / sqrt(var + eps) +
 * beta - mean * gamma / sqrt(var + eps) with the checkpoint's statistics and affine, none of it
 * trained. See docs/reproduction.md (Detection) for why not the reference's SyncBN.
 */
const BLOCKS: Record<ResNetArch, { bottleneck: boolean; blocks: [number, number, number, number] }> = {
  resnet18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  resnet34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  resnet50: { bottleneck: true, blocks: [3, 4, 6, 3] },
};

interface ConvBn {
  conv: string;
  bn: string;
  stride: number;
  pad: number;
}

interface Block {
  /** layer index 1..4 (res2..res5) */
  stage: number;
  convs: ConvBn[];
  shortcut: ConvBn | null;
}

/** Frozen BN as an affine map: per-channel scale and shift (constants, no gradient). */
interface FrozenBn {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

export class ResNetC4 {
  readonly params: ParamMap;
  /** channels of the res4 map (the RPN input) and of the res5 output (the box-head feature) */
  readonly res4Channels: number;
  readonly res5Channels: number;
  /** input pixels per res4 cell: 16 with the ImageNet stem, 4 with the small-image stem */
  readonly featureStride: number;
  private readonly blocks: Block[] = [];
  private frozen = new Map<string, FrozenBn>();

  constructor(
    readonly config: ResNetConfig,
    params?: ParamMap,
    rng: Rng = new Rng(0, ['detector']),
  ) {
    this.params = params ?? new ParamMap();
    // Builds (or, with a loaded map, checks) every torchvision-named parameter.
    const resnet = params ? null : new ResNet(config, this.params, rng);
    const layout = BLOCKS[config.arch];
    for (let l = 0; l < 4; l++) {
      for (let b = 0; b < layout.blocks[l]!; b++) {
        const p = `layer${l + 1}.${b}`;
        const stride = b === 0 && l > 0 ? 2 : 1;
        const convs: ConvBn[] = layout.bottleneck
          ? [
              { conv: `${p}.conv1`, bn: `${p}.bn1`, stride: 1, pad: 0 },
              { conv: `${p}.conv2`, bn: `${p}.bn2`, stride, pad: 1 },
              { conv: `${p}.conv3`, bn: `${p}.bn3`, stride: 1, pad: 0 },
            ]
          : [
              { conv: `${p}.conv1`, bn: `${p}.bn1`, stride, pad: 1 },
              { conv: `${p}.conv2`, bn: `${p}.bn2`, stride: 1, pad: 1 },
            ];
        const shortcut = this.params.params.has(`${p}.downsample.0.weight`) ? { conv: `${p}.downsample.0`, bn: `${p}.downsample.1`, stride, pad: 0 } : null;
        this.blocks.push({ stage: l + 1, convs, shortcut });
      }
    }
    const last = (stage: number) => {
      const b = [...this.blocks].reverse().find((x) => x.stage === stage)!;
      return this.params.param(`${b.convs[b.convs.length - 1]!.conv}.weight`).shape[3]!;
    };
    this.res4Channels = last(3);
    this.res5Channels = last(4);
    if (resnet && resnet.featureDim !== this.res5Channels) throw new Error('ResNetC4: block layout disagrees with @dilo/contrastive ResNet');
    this.featureStride = config.smallStem ? 4 : 16;
    this.freezeBatchNorm();
  }

  /** Names of the convolution weights (the trainable backbone parameters). */
  convNames(freezeAt: number): string[] {
    // detectron2 FREEZE_AT: 1 freezes the stem, 2 the stem and res2, ...
    const names: string[] = [];
    if (freezeAt < 1) names.push('conv1');
    for (const b of this.blocks) {
      if (b.stage + 1 <= freezeAt) continue;
      for (const c of b.convs) names.push(c.conv);
      if (b.shortcut) names.push(b.shortcut.conv);
    }
    return names.map((n) => `${n}.weight`);
  }

  /** Recompute the frozen BN affine maps from the current parameters (after loading weights). */
  freezeBatchNorm(): void {
    for (const f of this.frozen.values()) tf.dispose([f.scale, f.shift]);
    this.frozen = new Map();
    const bnNames = ['bn1', ...this.blocks.flatMap((b) => [...b.convs, ...(b.shortcut ? [b.shortcut] : [])].map((c) => c.bn))];
    for (const bn of bnNames) {
      const f = tf.tidy(() => {
        const gamma = this.params.param(`${bn}.weight`);
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.params.buffer(`${bn}.running_var`), BN_EPS))) as tf.Tensor1D;
        const shift = tf.sub(this.params.param(`${bn}.bias`), tf.mul(this.params.buffer(`${bn}.running_mean`), scale)) as tf.Tensor1D;
        return { scale, shift };
      });
      this.frozen.set(bn, f);
    }
  }

  /**
   * Data-dependent statistics for a randomly initialised network: run the trunk and res5 on a
   * batch, setting each BN's running mean and variance to the batch's (layer by layer, so every
   * layer sees already-normalised inputs), then freeze. Without this, frozen identity BN leaves
   * the residual sums of a random network growing with depth.
   */
  calibrateBatchNorm(images: tf.Tensor4D, roiFeatures?: (res4: tf.Tensor4D) => tf.Tensor4D): void {
    tf.tidy(() => {
      const res4 = this.trunk(images, true);
      if (roiFeatures) this.res5(roiFeatures(res4), true);
    });
  }

  private convBn(x: tf.Tensor4D, c: ConvBn, calibrate: boolean): tf.Tensor4D {
    const y = tf.conv2d(x, this.params.param(`${c.conv}.weight`) as tf.Tensor4D, c.stride, c.pad);
    if (calibrate) {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      this.params.buffer(`${c.bn}.running_mean`).assign(mean);
      this.params.buffer(`${c.bn}.running_var`).assign(variance);
      const gamma = this.params.param(`${c.bn}.weight`);
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, BN_EPS)));
      const shift = tf.sub(this.params.param(`${c.bn}.bias`), tf.mul(mean, scale));
      const old = this.frozen.get(c.bn);
      if (old) tf.dispose([old.scale, old.shift]);
      this.frozen.set(c.bn, { scale: tf.keep(scale) as tf.Tensor1D, shift: tf.keep(shift) as tf.Tensor1D });
    }
    const f = this.frozen.get(c.bn)!;
    return tf.add(tf.mul(y, f.scale), f.shift);
  }

  private runBlocks(h: tf.Tensor4D, stages: number[], calibrate: boolean): tf.Tensor4D {
    for (const b of this.blocks) {
      if (!stages.includes(b.stage)) continue;
      let y = h;
      b.convs.forEach((c, i) => {
        y = this.convBn(y, c, calibrate);
        if (i < b.convs.length - 1) y = tf.relu(y);
      });
      const identity = b.shortcut ? this.convBn(h, b.shortcut, calibrate) : h;
      h = tf.relu(tf.add(y, identity)) as tf.Tensor4D;
    }
    return h;
  }

  /** Stem and res2-res4: NHWC normalised images to the res4 map [n, H/16, W/16, res4Channels]. */
  trunk(x: tf.Tensor4D, calibrate = false): tf.Tensor4D {
    const small = this.config.smallStem;
    let h = tf.relu(this.convBn(x, { conv: 'conv1', bn: 'bn1', stride: small ? 1 : 2, pad: small ? 1 : 3 }, calibrate));
    if (!small) h = tf.maxPool(h, 3, 2, 1);
    return this.runBlocks(h, [1, 2, 3], calibrate);
  }

  /** res5 on ROI features [R, 14, 14, res4Channels] -> [R, 7, 7, res5Channels]. */
  res5(x: tf.Tensor4D, calibrate = false): tf.Tensor4D {
    return this.runBlocks(x, [4], calibrate);
  }

  dispose(): void {
    for (const f of this.frozen.values()) tf.dispose([f.scale, f.shift]);
    this.frozen.clear();
    this.params.dispose();
  }
}
