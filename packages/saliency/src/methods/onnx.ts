import type { GrayImage, RgbImage } from '@dilo/core';
import { DiloInputError } from '@dilo/core';
import type { InferenceSession as OrtSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { SaliencyEstimator } from '../estimator';
import { resizeBilinear } from '../util/resize';

/**
 * Any ONNX salient-object model (BASNet / U2-Net style: NCHW float image in, one-channel map out)
 * through onnxruntime-node on the CPU.
 */
export interface OnnxParams {
  /** path of the .onnx file */
  model: string;
  /** network input width and height (default 320 x 320, BASNet's and U2-Net's) */
  inputWidth?: number;
  inputHeight?: number;
  /** per-channel mean and std applied to RGB in [0,1] (default ImageNet's) */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** which model output holds the map (default 0: BASNet and U2-Net put the fused map first) */
  outputIndex?: number;
  /** images per inference call (default 4); use 1 for models exported with a fixed batch of 1 */
  batchSize?: number;
  /** ONNX Runtime intra-op threads (default 1: parallelism comes from batch workers) */
  threads?: number;
  /**
   * 'minmax' (default): each map stretched to [0, 1], BASNet's normPRED, for models whose output
   * is not a probability; 'none': the output clipped to [0, 1] as it is (a sigmoid output)
   */
  normalize?: 'minmax' | 'none';
}

export const ONNX_DEFAULTS = {
  inputWidth: 320,
  inputHeight: 320,
  mean: [0.485, 0.456, 0.406] as [number, number, number],
  std: [0.229, 0.224, 0.225] as [number, number, number],
  outputIndex: 0,
  batchSize: 4,
  threads: 1,
  normalize: 'minmax' as 'minmax' | 'none',
};

type Ort = typeof import('onnxruntime-node');

/** NCHW float input for a batch: resize to the network size, scale to [0,1], normalise. */
export function toNchw(imgs: RgbImage[], w: number, h: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const plane = w * h;
  const out = new Float32Array(imgs.length * 3 * plane);
  imgs.forEach((img, b) => {
    const src = Float32Array.from(img.data);
    const r = img.width === w && img.height === h ? src : resizeBilinear(src, img.width, img.height, 3, w, h);
    const base = b * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const m = mean[c];
      const s = std[c];
      const o = base + c * plane;
      for (let i = 0; i < plane; i++) out[o + i] = (r[3 * i + c] / 255 - m) / s;
    }
  });
  return out;
}

export class OnnxEstimator implements SaliencyEstimator {
  readonly name = 'onnx';
  readonly params: Readonly<Record<string, unknown>>;
  private session: Promise<OrtSession> | null = null;
  private readonly p: Required<Omit<OnnxParams, 'model'>> & { model: string };

  constructor(params: OnnxParams, private readonly modelBytesHash?: string) {
    if (!params.model) throw new Error('onnx: a model path is required');
    this.p = { ...ONNX_DEFAULTS, ...params };
    // the model's identity (its hash when known, else its path) is part of the cache key
    this.params = { ...this.p, model: modelBytesHash ?? params.model };
  }

  private async open(): Promise<OrtSession> {
    this.session ??= (async () => {
      const ort: Ort = await import('onnxruntime-node');
      try {
        return await ort.InferenceSession.create(this.p.model, { intraOpNumThreads: this.p.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      } catch (err) {
        throw new DiloInputError(this.p.model, `cannot load ONNX model: ${(err as Error).message}`, { cause: err });
      }
    })();
    return this.session;
  }

  async estimate(img: RgbImage): Promise<GrayImage> {
    return (await this.estimateBatch([img]))[0];
  }

  async estimateBatch(imgs: RgbImage[]): Promise<GrayImage[]> {
    const out: GrayImage[] = [];
    for (let i = 0; i < imgs.length; i += this.p.batchSize) out.push(...(await this.run(imgs.slice(i, i + this.p.batchSize))));
    return out;
  }

  private async run(imgs: RgbImage[]): Promise<GrayImage[]> {
    const session = await this.open();
    const ort: Ort = await import('onnxruntime-node');
    const { inputWidth: w, inputHeight: h } = this.p;
    const input = new ort.Tensor('float32', toNchw(imgs, w, h, this.p.mean, this.p.std), [imgs.length, 3, h, w]);
    const outName = session.outputNames[this.p.outputIndex];
    if (outName === undefined) throw new DiloInputError(this.p.model, `output index ${this.p.outputIndex} out of range (model has ${session.outputNames.length} outputs)`);
    const result = await session.run({ [session.inputNames[0]]: input }, [outName]);
    const t = result[outName] as OrtTensor;
    const dims = t.dims;
    // [N,C,H,W] (take channel 0), [N,H,W] or [N,1,H,W]
    const oh = dims[dims.length - 2];
    const ow = dims[dims.length - 1];
    const perImage = dims.length === 4 ? dims[1] * oh * ow : oh * ow;
    if (dims[0] !== imgs.length || (dims.length !== 3 && dims.length !== 4)) {
      throw new DiloInputError(this.p.model, `output '${outName}' has shape [${dims.join(',')}], expected [N,C,H,W] or [N,H,W] with N=${imgs.length}`);
    }
    const data = t.data as Float32Array;
    return imgs.map((img, b) => {
      const map = data.subarray(b * perImage, b * perImage + oh * ow);
      // min-max normalisation per image (BASNet's normPRED), then back to the image size
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of map) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const norm = new Float32Array(oh * ow);
      if (this.p.normalize === 'none') norm.set(map);
      else if (hi > lo) for (let i = 0; i < norm.length; i++) norm[i] = (map[i] - lo) / (hi - lo);
      const full = ow === img.width && oh === img.height ? norm : resizeBilinear(norm, ow, oh, 1, img.width, img.height);
      const g = new Uint8Array(img.width * img.height);
      for (let i = 0; i < g.length; i++) g[i] = Math.round(Math.min(1, Math.max(0, full[i])) * 255);
      return { width: img.width, height: img.height, data: g };
    });
  }

  async dispose(): Promise<void> {
    if (this.session) await (await this.session).release();
    this.session = null;
  }
}

