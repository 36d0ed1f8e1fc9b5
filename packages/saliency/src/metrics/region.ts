/**
 * Structure measure (Fan et al., "Structure-measure: A New Way to Evaluate Foreground Maps",
 * ICCV 2017), alpha = 0.5, as the authors' code computes it. pred in [0,1], gt binary.
 */
export function sMeasure(pred: Float64Array, gt: Uint8Array, width: number, height: number, alpha = 0.5): number {
  const n = width * height;
  let fg = 0;
  let predMean = 0;
  for (let i = 0; i < n; i++) {
    fg += gt[i];
    predMean += pred[i];
  }
  predMean /= n;
  const y = fg / n;
  if (y === 0) return 1 - predMean;
  if (y === 1) return predMean;
  const q = alpha * objectScore(pred, gt, n, y) + (1 - alpha) * regionScore(pred, gt, width, height);
  return Math.max(0, q);
}

function sObject(values: (i: number) => number, inMask: (i: number) => boolean, n: number): number {
  let cnt = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!inMask(i)) continue;
    cnt++;
    sum += values(i);
  }
  if (cnt === 0) return 0;
  const x = sum / cnt;
  let ss = 0;
  for (let i = 0; i < n; i++) if (inMask(i)) ss += (values(i) - x) ** 2;
  const sigma = cnt > 1 ? Math.sqrt(ss / (cnt - 1)) : 0;
  return (2 * x) / (x * x + 1 + sigma + Number.EPSILON);
}

function objectScore(pred: Float64Array, gt: Uint8Array, n: number, u: number): number {
  const ofg = sObject((i) => pred[i], (i) => gt[i] === 1, n);
  const obg = sObject((i) => 1 - pred[i], (i) => gt[i] === 0, n);
  return u * ofg + (1 - u) * obg;
}

/** SSIM-like score of one rectangular block (the authors' ssim()). */
function blockSsim(pred: Float64Array, gt: Uint8Array, w: number, x0: number, x1: number, y0: number, y1: number): number {
  const n = (x1 - x0) * (y1 - y0);
  if (n === 0) return 0;
  let mx = 0;
  let my = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    mx += pred[y * w + x];
    my += gt[y * w + x];
  }
  mx /= n;
  my /= n;
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const a = pred[y * w + x] - mx;
    const b = gt[y * w + x] - my;
    sx += a * a;
    sy += b * b;
    sxy += a * b;
  }
  const d = Math.max(1, n - 1);
  sx /= d;
  sy /= d;
  sxy /= d;
  const a = 4 * mx * my * sxy;
  const b = (mx * mx + my * my) * (sx + sy);
  if (a !== 0) return a / (b + Number.EPSILON);
  if (b === 0) return 1;
  return 0;
}

function regionScore(pred: Float64Array, gt: Uint8Array, w: number, h: number): number {
  // centroid of the ground truth (rounded, 1-based like the MATLAB code): the split point
  let cnt = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (gt[y * w + x]) {
    cnt++;
    sx += x;
    sy += y;
  }
  const X = cnt === 0 ? Math.round(w / 2) : Math.round(sx / cnt) + 1;
  const Y = cnt === 0 ? Math.round(h / 2) : Math.round(sy / cnt) + 1;
  const area = w * h;
  const w1 = (X * Y) / area;
  const w2 = ((w - X) * Y) / area;
  const w3 = (X * (h - Y)) / area;
  const w4 = 1 - w1 - w2 - w3;
  return (
    w1 * blockSsim(pred, gt, w, 0, X, 0, Y) +
    w2 * blockSsim(pred, gt, w, X, w, 0, Y) +
    w3 * blockSsim(pred, gt, w, 0, X, Y, h) +
    w4 * blockSsim(pred, gt, w, X, w, Y, h)
  );
}

/**
 * Enhanced-alignment measure (Fan et al., IJCAI 2018) of a binary foreground map against a
 * binary ground truth.
 */
export function eMeasureBinary(fm: Uint8Array, gt: Uint8Array, n: number): number {
  let fgGt = 0;
  let fgFm = 0;
  for (let i = 0; i < n; i++) {
    fgGt += gt[i];
    fgFm += fm[i];
  }
  let sum = 0;
  if (fgGt === 0) {
    // all background: enhanced matrix = 1 - FM
    sum = n - fgFm;
  } else if (fgGt === n) {
    sum = fgFm;
  } else {
    const mg = fgGt / n;
    const mf = fgFm / n;
    for (let i = 0; i < n; i++) {
      const dg = gt[i] - mg;
      const df = fm[i] - mf;
      const align = (2 * dg * df) / (dg * dg + df * df + Number.EPSILON);
      sum += ((align + 1) * (align + 1)) / 4;
    }
  }
  return sum / (n - 1 + Number.EPSILON);
}

/** E-measure from the confusion counts of a binary map (the enhanced-alignment matrix takes only four values). */
export function eMeasureFromCounts(tp: number, fp: number, fn: number, tn: number): number {
  const n = tp + fp + fn + tn;
  const g = tp + fn;
  const f = tp + fp;
  let sum: number;
  if (g === 0) sum = fn + tn;
  else if (g === n) sum = tp;
  else {
    const mg = g / n;
    const mf = f / n;
    const enh = (gv: number, fv: number): number => {
      const dg = gv - mg;
      const df = fv - mf;
      const align = (2 * dg * df) / (dg * dg + df * df + Number.EPSILON);
      return ((align + 1) * (align + 1)) / 4;
    };
    sum = tp * enh(1, 1) + fp * enh(0, 1) + fn * enh(1, 0) + tn * enh(0, 0);
  }
  return sum / (n - 1 + Number.EPSILON);
}
