/**
 * ROI Align (torchvision.ops.roi_align, which detectron2's ROIAlignV2 pooler calls with
 * aligned = true) forward and backward on NHWC feature maps, the layout tfjs uses. tfjs has no
 * gradient for cropAndResize, so the detector wraps these two in a custom gradient.
 * rois: [R * 5] = (batch index, x0, y0, x1, y1) in input-image pixels; output [R, outH, outW, C].
 */
export interface RoiAlignOptions {
  outH: number;
  outW: number;
  /** Feature stride reciprocal, e.g. 1/16 for res4 (C4). */
  spatialScale: number;
  /** Samples per bin side; 0: adaptive, ceil(roi size / output size) as torchvision. */
  samplingRatio: number;
  /** Half-pixel shift (ROIAlignV2); false reproduces the original ROIAlign (minimum size 1). */
  aligned: boolean;
}

export interface FeatureShape {
  n: number;
  h: number;
  w: number;
  c: number;
}

/** One bilinear sample: four corner indices (pixel offsets y * W + x) and weights, or null outside. */
interface Sample {
  p1: number;
  p2: number;
  p3: number;
  p4: number;
  w1: number;
  w2: number;
  w3: number;
  w4: number;
}

function bilinear(y: number, x: number, H: number, W: number): Sample | null {
  // Out of the feature map by more than one pixel: contributes nothing.
  if (y < -1 || y > H || x < -1 || x > W) return null;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yLow = Math.trunc(y);
  let xLow = Math.trunc(x);
  let yHigh: number;
  let xHigh: number;
  if (yLow >= H - 1) {
    yHigh = yLow = H - 1;
    y = yLow;
  } else yHigh = yLow + 1;
  if (xLow >= W - 1) {
    xHigh = xLow = W - 1;
    x = xLow;
  } else xHigh = xLow + 1;
  const ly = y - yLow;
  const lx = x - xLow;
  const hy = 1 - ly;
  const hx = 1 - lx;
  return { p1: yLow * W + xLow, p2: yLow * W + xHigh, p3: yHigh * W + xLow, p4: yHigh * W + xHigh, w1: hy * hx, w2: hy * lx, w3: ly * hx, w4: ly * lx };
}

/** The bilinear samples of every output bin of one ROI, and the divisor (samples per bin). */
function roiSamples(roi: ArrayLike<number>, r: number, shape: FeatureShape, o: RoiAlignOptions): { batch: number; bins: (Sample | null)[][]; count: number } {
  const batch = roi[r * 5]!;
  if (!Number.isInteger(batch) || batch < 0 || batch >= shape.n) throw new RangeError(`roiAlign: roi ${r} has batch index ${batch}, outside 0..${shape.n - 1}`);
  const offset = o.aligned ? 0.5 : 0;
  const x0 = roi[r * 5 + 1]! * o.spatialScale - offset;
  const y0 = roi[r * 5 + 2]! * o.spatialScale - offset;
  let rw = roi[r * 5 + 3]! * o.spatialScale - offset - x0;
  let rh = roi[r * 5 + 4]! * o.spatialScale - offset - y0;
  if (!o.aligned) {
    rw = Math.max(rw, 1);
    rh = Math.max(rh, 1);
  }
  const binH = rh / o.outH;
  const binW = rw / o.outW;
  const gridH = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(rh / o.outH);
  const gridW = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(rw / o.outW);
  const count = Math.max(gridH * gridW, 1);
  const bins: (Sample | null)[][] = [];
  for (let ph = 0; ph < o.outH; ph++) {
    for (let pw = 0; pw < o.outW; pw++) {
      const samples: (Sample | null)[] = [];
      for (let iy = 0; iy < gridH; iy++) {
        const y = y0 + ph * binH + ((iy + 0.5) * binH) / gridH;
        for (let ix = 0; ix < gridW; ix++) {
          const x = x0 + pw * binW + ((ix + 0.5) * binW) / gridW;
          samples.push(bilinear(y, x, shape.h, shape.w));
        }
      }
      bins.push(samples);
    }
  }
  return { batch, bins, count };
}

/** Forward: features [n, h, w, c] (flat NHWC) -> [R, outH, outW, c]. */
export function roiAlign(features: ArrayLike<number>, shape: FeatureShape, rois: ArrayLike<number>, o: RoiAlignOptions): Float64Array {
  const { h, w, c } = shape;
  if (features.length !== shape.n * h * w * c) throw new RangeError(`roiAlign: ${features.length} values for shape ${JSON.stringify(shape)}`);
  const R = rois.length / 5;
  const out = new Float64Array(R * o.outH * o.outW * c);
  for (let r = 0; r < R; r++) {
    const { batch, bins, count } = roiSamples(rois, r, shape, o);
    const base = batch * h * w * c;
    bins.forEach((samples, bin) => {
      const ob = (r * o.outH * o.outW + bin) * c;
      for (const s of samples) {
        if (!s) continue;
        for (let ch = 0; ch < c; ch++) {
          out[ob + ch]! += s.w1 * features[base + s.p1 * c + ch]! + s.w2 * features[base + s.p2 * c + ch]! + s.w3 * features[base + s.p3 * c + ch]! + s.w4 * features[base + s.p4 * c + ch]!;
        }
      }
      for (let ch = 0; ch < c; ch++) out[ob + ch]! /= count;
    });
  }
  return out;
}

/** Backward: gradient of the output [R, outH, outW, c] -> gradient of the features [n, h, w, c]. */
export function roiAlignGrad(gradOut: ArrayLike<number>, shape: FeatureShape, rois: ArrayLike<number>, o: RoiAlignOptions): Float64Array {
  const { h, w, c } = shape;
  const R = rois.length / 5;
  if (gradOut.length !== R * o.outH * o.outW * c) throw new RangeError(`roiAlignGrad: ${gradOut.length} values for ${R} rois x ${o.outH} x ${o.outW} x ${c}`);
  const grad = new Float64Array(shape.n * h * w * c);
  for (let r = 0; r < R; r++) {
    const { batch, bins, count } = roiSamples(rois, r, shape, o);
    const base = batch * h * w * c;
    bins.forEach((samples, bin) => {
      const ob = (r * o.outH * o.outW + bin) * c;
      for (const s of samples) {
        if (!s) continue;
        for (let ch = 0; ch < c; ch++) {
          const g = gradOut[ob + ch]! / count;
          grad[base + s.p1 * c + ch]! += g * s.w1;
          grad[base + s.p2 * c + ch]! += g * s.w2;
          grad[base + s.p3 * c + ch]! += g * s.w3;
          grad[base + s.p4 * c + ch]! += g * s.w4;
        }
      }
    });
  }
  return grad;
}
