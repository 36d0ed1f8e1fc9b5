import type { GrayImage, RgbImage } from '@dilo/core';
import type { AugmentConfig } from './config';
import type { ViewPlan } from './view-plan';
import { axisCoeffs, cropResizeRgb, resampleGray, resampleRgb, Scratch } from './transforms/resample';
import { checkMapSize, compositeGrey, compositeImage, pasteAlpha, removeForeground } from './transforms/copy-paste';
import { applyColourOps, applyGrayscale, applyJitter, GRAYSCALE } from './transforms/color-jitter';
import { gaussianBlur } from './transforms/box-blur';
import { normalizeChw, type NormalizeTarget } from './transforms/normalize';
import { NATIVE_BLUR_OP, nativeViewKernels, type ViewKernels } from './native';

/** A decoded training sample: its image, its optional saliency map, and their files for errors. */
export interface DecodedSample {
  image: RgbImage;
  map?: GrayImage;
  imageFile: string;
  mapFile?: string;
}

/** The pixels a pasted view's background plan needs (decoded by the caller). */
export type BackgroundPixels =
  | { kind: 'grey' }
  | { kind: 'texture'; texture: RgbImage }
  | { kind: 'natural'; sample: DecodedSample };

/** Scale a (tw x th) source to cover (w x h), keep aspect, and place the window by (u, v). */
function coverWindow(tw: number, th: number, w: number, h: number, u: number, v: number): { x0: number; y0: number; ww: number; wh: number } {
  const s = Math.max(w / tw, h / th);
  const ww = Math.min(tw, w / s);
  const wh = Math.min(th, h / s);
  return { x0: u * (tw - ww), y0: v * (th - wh), ww, wh };
}

/**
 * Turns (sample, plan) into a normalised view. Holds its scratch buffers, so one renderer per
 * thread renders any number of views without allocating; not re-entrant. `render` and the paste
 * run on the compiled kernels when they load (see native.ts), else on the TypeScript transforms;
 * both give the same views to float rounding (tested).
 */
export class ViewRenderer {
  private readonly comp = new Scratch();
  private readonly bg = new Scratch();
  private readonly alpha = new Scratch();
  private readonly alpha2 = new Scratch();
  private readonly tmp = new Scratch();
  private readonly view = new Scratch();

  private readonly box = new Float64Array(4);
  private readonly params = new Float64Array(12);

  /** `kernels`: the compiled kernels to use, null for the TypeScript ones (default: whatever loads) */
  constructor(
    readonly cfg: AugmentConfig,
    readonly kernels: ViewKernels | null = nativeViewKernels(),
  ) {}

  /**
   * The full-resolution source of the crop: the image itself, or its copy-paste composite
   * (float HWC 0-255, valid until the next call).
   */
  pasteSource(sample: DecodedSample, plan: ViewPlan, bgPixels: BackgroundPixels | null): Uint8Array | Float32Array {
    const { image, map } = sample;
    if (!plan.paste || !map) return image.data;
    checkMapSize(image, map, sample.mapFile ?? '<map>', sample.imageFile);
    const paste = this.cfg.paste;
    if (!paste) return image.data;
    const W = image.width;
    const H = image.height;
    const nPix = W * H;
    const k = this.kernels;
    const blurRadius = plan.paste.blurMap ? paste.blurRadius : null;
    let alpha: Float32Array;
    if (k) k.pasteAlpha(map.data, W, H, blurRadius ?? 0, (alpha = this.alpha.get(nPix)));
    else alpha = pasteAlpha(map, blurRadius, this.alpha.get(nPix), this.tmp);
    const out = this.comp.get(nPix * 3);
    const bgPlan = plan.paste.background;
    if (bgPlan.kind === 'grey') {
      if (k) k.composite(image.data, alpha, bgPlan.level, out);
      else compositeGrey(image, alpha, bgPlan.level, out);
      return out;
    }
    if (!bgPixels || bgPixels.kind !== bgPlan.kind) throw new Error(`background pixels for a '${bgPlan.kind}' paste were not provided`);
    const bg = this.bg.get(nPix * 3);
    const src = bgPixels.kind === 'texture' ? bgPixels.texture : bgPixels.sample.image;
    const win = coverWindow(src.width, src.height, W, H, bgPlan.u, bgPlan.v);
    const cx = axisCoeffs(win.x0, win.x0 + win.ww, 0, src.width, W);
    const cy = axisCoeffs(win.y0, win.y0 + win.wh, 0, src.height, H);
    resampleRgb(src.data, src.width, cx, cy, bg, this.tmp);
    if (bgPlan.kind === 'natural' && bgPlan.removeForeground && bgPixels.kind === 'natural' && bgPixels.sample.map) {
      const other = bgPixels.sample;
      checkMapSize(other.image, other.map as GrayImage, other.mapFile ?? '<map>', other.imageFile);
      const a2 = this.alpha2.get(nPix);
      resampleGray((other.map as GrayImage).data, src.width, cx, cy, a2, this.tmp);
      for (let q = 0; q < nPix; q++) a2[q] *= 1 / 255;
      removeForeground(bg, a2, nPix);
    }
    if (k) k.composite(image.data, alpha, bg, out);
    else compositeImage(image, alpha, bg, out);
    return out;
  }

  /** Crop + resize + colour steps: the view as float HWC 0-255 before flip and normalisation. */
  viewHwc(sample: DecodedSample, plan: ViewPlan, bgPixels: BackgroundPixels | null): Float32Array {
    const src = this.pasteSource(sample, plan, bgPixels);
    const S = this.cfg.size;
    const nPix = S * S;
    const view = this.view.get(nPix * 3).subarray(0, nPix * 3);
    cropResizeRgb(src, sample.image.width, plan.crop, S, S, view, this.tmp);
    for (const step of this.cfg.steps) {
      if (step === 'colorJitter') {
        if (plan.jitter) applyJitter(view, nPix, plan.jitter);
      } else if (step === 'grayscale') {
        if (plan.grayscale) applyGrayscale(view, nPix);
      } else if (plan.blurSigma !== null) gaussianBlur(view, S, S, 3, plan.blurSigma, this.tmp);
    }
    return view;
  }

  /**
   * The whole view, flipped if planned and normalised, written as CHW float32 at out[offset].
   * Same result as viewHwc + normalizeChw, with fewer passes: the last colour step writes the
   * normalised output itself (a jitter + grayscale run is one generated pass; a final blur's
   * last vertical pass normalises and mirrors).
   */
  render(sample: DecodedSample, plan: ViewPlan, bgPixels: BackgroundPixels | null, out: Float32Array, offset: number): void {
    const src = this.pasteSource(sample, plan, bgPixels);
    if (this.kernels) {
      this.renderNative(this.kernels, src, sample, plan, out, offset);
      return;
    }
    const S = this.cfg.size;
    const nPix = S * S;
    const view = this.view.get(nPix * 3).subarray(0, nPix * 3);
    cropResizeRgb(src, sample.image.width, plan.crop, S, S, view, this.tmp);
    const target: NormalizeTarget = { out, offset, flip: plan.flip, mean: this.cfg.mean, std: this.cfg.std };
    // the applied steps in order; consecutive colour ops are merged into one run
    const steps: ('blur' | number[])[] = [];
    for (const step of this.cfg.steps) {
      let ops: number[] | null = null;
      if (step === 'colorJitter' && plan.jitter) ops = plan.jitter.order;
      else if (step === 'grayscale' && plan.grayscale) ops = [GRAYSCALE];
      else if (step === 'blur' && plan.blurSigma !== null) steps.push('blur');
      if (ops) {
        const prev = steps[steps.length - 1];
        if (Array.isArray(prev)) steps[steps.length - 1] = [...prev, ...ops];
        else steps.push([...ops]);
      }
    }
    if (steps.length === 0) {
      normalizeChw(view, S, S, plan.flip, this.cfg.mean, this.cfg.std, out, offset);
      return;
    }
    steps.forEach((step, k) => {
      const t = k === steps.length - 1 ? target : null;
      if (step === 'blur') gaussianBlur(view, S, S, 3, plan.blurSigma as number, this.tmp, undefined, t);
      else applyColourOps(view, S, S, step, plan.jitter, t);
    });
  }

  /** render() in one call to the compiled kernels: the steps become an op list. */
  private renderNative(k: ViewKernels, src: Uint8Array | Float32Array, sample: DecodedSample, plan: ViewPlan, out: Float32Array, offset: number): void {
    const ops: number[] = [];
    for (const step of this.cfg.steps) {
      if (step === 'colorJitter' && plan.jitter) ops.push(...plan.jitter.order);
      else if (step === 'grayscale' && plan.grayscale) ops.push(GRAYSCALE);
      else if (step === 'blur' && plan.blurSigma !== null) ops.push(NATIVE_BLUR_OP);
    }
    const { box, params: p } = this;
    box[0] = plan.crop.i;
    box[1] = plan.crop.j;
    box[2] = plan.crop.h;
    box[3] = plan.crop.w;
    const j = plan.jitter;
    p[0] = j ? j.brightness : 1;
    p[1] = j ? j.contrast : 1;
    p[2] = j ? j.saturation : 1;
    p[3] = j ? j.hue : 0;
    p[4] = plan.blurSigma ?? 0;
    p[5] = plan.flip ? 1 : 0;
    for (let c = 0; c < 3; c++) {
      p[6 + c] = this.cfg.mean[c];
      p[9 + c] = this.cfg.std[c];
    }
    k.renderView(src, sample.image.width, sample.image.height, box, this.cfg.size, Int32Array.from(ops), p, out, offset);
  }
}
