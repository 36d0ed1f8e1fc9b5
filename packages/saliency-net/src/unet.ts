import { Rng, tf } from '@dilo/core';
import { batchNorm2dTail, ParamMap, type BatchNormMode, type BatchNormParams } from '@dilo/contrastive';

/**
 * A small U-Net for salient-object maps (Ronneberger et al. 2015, narrowed as BASNet-style
 * saliency nets are on small data): `levels` encoder stages of two 3x3 conv-BN-ReLU, 2x2 max
 * pooling between them, a 2x2 stride-2 transposed conv up each decoder stage, skip
 * concatenation, two conv-BN-ReLU, and a 1x1 conv to one logit per pixel.
 *
 * Parameter names follow a PyTorch `nn.Sequential` per stage (`enc1.0.weight` conv,
 * `enc1.1.*` its BN, `enc1.3.weight`, `enc1.4.*`; `up2.weight/bias`; `head.weight/bias`), the
 * same as `bench/unet_torch.py`, so a checkpoint reads like that model's state_dict.
 */
export interface UNetConfig {
  /** channels of the first stage; stage l has base * 2^l (default 16) */
  base: number;
  /** encoder stages, the deepest included (default 4: three poolings) */
  levels: number;
}

export const UNET_DEFAULTS: UNetConfig = { base: 16, levels: 4 };

/** input side lengths must be multiples of this */
export function unetStride(cfg: UNetConfig): number {
  return 2 ** (cfg.levels - 1);
}

export class UNet {
  readonly params = new ParamMap();

  constructor(
    readonly config: UNetConfig,
    rng: Rng,
  ) {
    if (!Number.isInteger(config.levels) || config.levels < 2) throw new RangeError(`levels must be an integer >= 2, got ${config.levels}`);
    if (!Number.isInteger(config.base) || config.base < 1) throw new RangeError(`base must be a positive integer, got ${config.base}`);
    const init = rng.stream('init', 'unet');
    let cin = 3;
    for (let l = 0; l < config.levels; l++) {
      const c = this.width(l);
      this.block(`enc${l + 1}`, init, cin, c);
      cin = c;
    }
    for (let l = config.levels - 2; l >= 0; l--) {
      const c = this.width(l);
      // ConvTranspose2d(2c, c, 2, stride 2): tfjs filter [kh, kw, out, in]
      this.params.addParam(`up${l + 1}.weight`, 'conv', uniform(init, [2, 2, c, 2 * c], 1 / Math.sqrt(c * 4)));
      this.params.addParam(`up${l + 1}.bias`, 'vector', uniform(init, [c], 1 / Math.sqrt(c * 4)));
      this.block(`dec${l + 1}`, init, 2 * c, c);
    }
    const c0 = this.width(0);
    this.params.addParam('head.weight', 'conv', uniform(init, [1, 1, c0, 1], 1 / Math.sqrt(c0)));
    this.params.addParam('head.bias', 'vector', tf.zeros([1]));
  }

  width(level: number): number {
    return this.config.base * 2 ** level;
  }

  /** image NHWC, normalised (x / 255 - mean) / std -> logits NHWC [N, H, W, 1] */
  forward(x: tf.Tensor4D, mode: BatchNormMode): tf.Tensor4D {
    const [, h, w] = x.shape;
    const s = unetStride(this.config);
    if (h % s !== 0 || w % s !== 0) throw new RangeError(`U-Net input ${w}x${h} must be a multiple of ${s} on each side`);
    const skips: tf.Tensor4D[] = [];
    let y = x;
    for (let l = 0; l < this.config.levels; l++) {
      if (l > 0) y = tf.maxPool(y, 2, 2, 0);
      y = this.runBlock(`enc${l + 1}`, y, mode);
      skips.push(y);
    }
    for (let l = this.config.levels - 2; l >= 0; l--) {
      const c = this.width(l);
      const [n, hh, ww] = y.shape;
      const up = tf.add(
        tf.conv2dTranspose(y, this.params.param(`up${l + 1}.weight`) as tf.Tensor4D, [n, hh * 2, ww * 2, c], 2, 'valid'),
        this.params.param(`up${l + 1}.bias`),
      ) as tf.Tensor4D;
      y = this.runBlock(`dec${l + 1}`, tf.concat([skips[l], up], 3), mode);
    }
    return tf.add(tf.conv2d(y, this.params.param('head.weight') as tf.Tensor4D, 1, 0), this.params.param('head.bias')) as tf.Tensor4D;
  }

  private block(name: string, rng: Rng, cin: number, cout: number): void {
    this.params.addParam(`${name}.0.weight`, 'conv', kaimingFanOut(rng, 3, cin, cout));
    this.bn(`${name}.1`, cout);
    this.params.addParam(`${name}.3.weight`, 'conv', kaimingFanOut(rng, 3, cout, cout));
    this.bn(`${name}.4`, cout);
  }

  private bn(name: string, c: number): void {
    this.params.addParam(`${name}.weight`, 'vector', tf.ones([c]));
    this.params.addParam(`${name}.bias`, 'vector', tf.zeros([c]));
    this.params.addBuffer(`${name}.running_mean`, tf.zeros([c]));
    this.params.addBuffer(`${name}.running_var`, tf.ones([c]));
  }

  bnParams(name: string): BatchNormParams {
    return {
      gamma: this.params.param(`${name}.weight`),
      beta: this.params.param(`${name}.bias`),
      runningMean: this.params.buffer(`${name}.running_mean`),
      runningVar: this.params.buffer(`${name}.running_var`),
    };
  }

  private runBlock(name: string, x: tf.Tensor4D, mode: BatchNormMode): tf.Tensor4D {
    const a = batchNorm2dTail(tf.conv2d(x, this.params.param(`${name}.0.weight`) as tf.Tensor4D, 1, 1), this.bnParams(`${name}.1`), mode, { relu: true });
    return batchNorm2dTail(tf.conv2d(a, this.params.param(`${name}.3.weight`) as tf.Tensor4D, 1, 1), this.bnParams(`${name}.4`), mode, { relu: true });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'), tfjs layout [k, k, in, out] */
function kaimingFanOut(rng: Rng, k: number, cin: number, cout: number): tf.Tensor4D {
  const std = Math.sqrt(2 / (cout * k * k));
  const d = new Float32Array(k * k * cin * cout);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal(0, std);
  return tf.tensor4d(d, [k, k, cin, cout]);
}

function uniform(rng: Rng, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(-bound, bound);
  return tf.tensor(d, shape);
}
