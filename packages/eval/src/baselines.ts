/**
 * Feature functions that need no trained encoder: the random-initialisation baseline and
 * raw pixels. They are deterministic under their seed and make every evaluation runnable
 * (and testable) without a checkpoint. They are NOT trained models.
 */
import { Rng, sha256, canonicalJson } from '@dilo/core';
import type { ExtractedBatch, FeatureExtractor, ImageBatch } from './extractor';

export interface RandomConvOptions {
  seed?: number;
  /** output channels (= feature dimension) */
  channels?: number;
  /** kernel side */
  kernel?: number;
  stride?: number;
}

/**
 * Random-initialisation baseline: one convolution with He-normal random weights (seeded), ReLU,
 * global average pooling. The pooled feature is the spatial mean of the map, so a linear
 * classifier on it has an exact CAM over that map (as for a ResNet's last stage).
 */
export function randomConvExtractor(opts: RandomConvOptions = {}): FeatureExtractor {
  const seed = opts.seed ?? 0;
  const C = opts.channels ?? 64;
  const k = opts.kernel ?? 5;
  const stride = opts.stride ?? 2;
  const K = 3 * k * k;
  const rng = new Rng(seed, ['eval', 'random-conv']);
  const std = Math.sqrt(2 / K);
  const W = new Float32Array(C * K);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal(0, std);
  const params = { seed, channels: C, kernel: k, stride };
  return {
    id: sha256(`random-conv:${canonicalJson(params)}`),
    name: `random-init conv${k}x${k}/${stride}x${C}+ReLU+GAP (seed ${seed})`,
    async extract(batch: ImageBatch, o?: { convMap?: boolean }): Promise<ExtractedBatch> {
      const { n, height: H, width: Wd } = batch;
      const pad = Math.floor(k / 2);
      const oh = Math.floor((H + 2 * pad - k) / stride) + 1;
      const ow = Math.floor((Wd + 2 * pad - k) / stride) + 1;
      const P = oh * ow;
      const pooled = new Float32Array(n * C);
      const maps = o?.convMap ? new Float32Array(n * C * P) : null;
      const patch = new Float32Array(K);
      const out = new Float32Array(C * P);
      for (let b = 0; b < n; b++) {
        const img = batch.data.subarray(b * 3 * H * Wd, (b + 1) * 3 * H * Wd);
        for (let y = 0; y < oh; y++) {
          for (let x = 0; x < ow; x++) {
            // im2col for one position, zero padding, centred input (x - 0.5)
            let q = 0;
            for (let ch = 0; ch < 3; ch++) {
              for (let dy = 0; dy < k; dy++) {
                const iy = y * stride + dy - pad;
                for (let dx = 0; dx < k; dx++) {
                  const ix = x * stride + dx - pad;
                  patch[q++] = iy >= 0 && iy < H && ix >= 0 && ix < Wd ? img[(ch * H + iy) * Wd + ix] - 0.5 : 0;
                }
              }
            }
            const p = y * ow + x;
            for (let c = 0; c < C; c++) {
              let s = 0;
              const wo = c * K;
              for (let j = 0; j < K; j++) s += W[wo + j] * patch[j];
              out[c * P + p] = s > 0 ? s : 0;
            }
          }
        }
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += out[c * P + p];
          pooled[b * C + c] = s / P;
        }
        if (maps) maps.set(out, b * C * P);
      }
      return { pooled, d: C, ...(maps ? { convMap: { c: C, h: oh, w: ow, data: maps } } : {}) };
    },
  };
}

/** Raw pixels, area-downsampled to size x size, flattened CHW (d = 3*size*size). No conv map. */
export function pixelExtractor(opts: { size?: number } = {}): FeatureExtractor {
  const s = opts.size ?? 16;
  return {
    id: sha256(`pixels:${s}`),
    name: `raw pixels ${s}x${s} (no encoder)`,
    async extract(batch: ImageBatch): Promise<ExtractedBatch> {
      const { n, height: H, width: W } = batch;
      const d = 3 * s * s;
      const pooled = new Float32Array(n * d);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < 3; ch++) {
          const plane = batch.data.subarray(((b * 3 + ch) * H) * W, ((b * 3 + ch) * H + H) * W);
          for (let y = 0; y < s; y++) {
            const y0 = Math.floor((y * H) / s), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / s));
            for (let x = 0; x < s; x++) {
              const x0 = Math.floor((x * W) / s), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / s));
              let sum = 0;
              for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += plane[yy * W + xx];
              pooled[b * d + (ch * s + y) * s + x] = sum / ((y1 - y0) * (x1 - x0));
            }
          }
        }
      }
      return { pooled, d };
    },
  };
}
