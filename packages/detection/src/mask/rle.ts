/**
 * Run-length encoded binary masks, ported line by line from pycocotools' common/maskApi.c so that
 * masks, areas and IoUs equal the reference bit for bit. Masks are column-major (index x*h + y),
 * as in COCO; `maskToRowMajor` converts for display. All counts are uint32 like the C code.
 */
export interface Rle {
  h: number;
  w: number;
  /** Alternating runs of 0s and 1s, starting with 0s. */
  cnts: Uint32Array;
}

/** An axis-aligned box [x, y, width, height] as in COCO (pixel edges, 0-based). */
export type Bbox = [number, number, number, number];

const U32 = 4294967296;
const u32 = (v: number): number => ((v % U32) + U32) % U32;

function rle(h: number, w: number, cnts: ArrayLike<number>, m = cnts.length): Rle {
  const out = new Uint32Array(m);
  for (let j = 0; j < m; j++) out[j] = cnts[j]!;
  return { h, w, cnts: out };
}

/** rleEncode: binary mask, column-major, h*w bytes (non-zero = 1). */
export function rleEncode(mask: ArrayLike<number>, h: number, w: number): Rle {
  const a = w * h;
  const cnts: number[] = [];
  let p = 0;
  let c = 0;
  for (let j = 0; j < a; j++) {
    const v = mask[j] ? 1 : 0;
    if (v !== p) {
      cnts.push(c);
      c = 0;
      p = v;
    }
    c++;
  }
  cnts.push(c);
  return rle(h, w, cnts);
}

/** rleDecode: column-major binary mask (h*w bytes of 0/1). */
export function rleDecode(R: Rle): Uint8Array {
  const M = new Uint8Array(R.h * R.w);
  let i = 0;
  let v = 0;
  for (let j = 0; j < R.cnts.length; j++) {
    const n = R.cnts[j]!;
    // The C code writes past nothing only if the counts sum to h*w; clamp instead of overrunning.
    if (v) M.fill(1, i, Math.min(i + n, M.length));
    i += n;
    v = v ? 0 : 1;
  }
  return M;
}

/** Column-major (COCO) mask to row-major (y*w + x), the layout of @dilo/core's GrayImage. */
export function maskToRowMajor(M: Uint8Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) out[y * w + x] = M[x * h + y]!;
  return out;
}

/** rleMerge: union (or intersection) of masks of one size; a size mismatch gives an empty 0x0 RLE. */
export function rleMerge(R: Rle[], intersect = false): Rle {
  const n = R.length;
  if (n === 0) return rle(0, 0, []);
  let h = R[0]!.h;
  let w = R[0]!.w;
  let m = R[0]!.cnts.length;
  if (n === 1) return rle(h, w, R[0]!.cnts);
  let cnts: number[] = Array.from(R[0]!.cnts);
  for (let i = 1; i < n; i++) {
    const B = R[i]!;
    if (B.h !== h || B.w !== w) {
      h = w = m = 0;
      break;
    }
    const A = cnts.slice(0, m);
    let ca = A[0]!;
    let cb = B.cnts[0]!;
    let v = 0;
    let va = 0;
    let vb = 0;
    m = 0;
    let a = 1;
    let b = 1;
    let cc = 0;
    let ct = 1;
    const next: number[] = [];
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++]!;
        va = va ? 0 : 1;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.cnts.length) {
        cb = B.cnts[b++]!;
        vb = vb ? 0 : 1;
      }
      ct += cb;
      const vp = v;
      v = intersect ? (va && vb ? 1 : 0) : va || vb ? 1 : 0;
      if (v !== vp || ct === 0) {
        next.push(cc);
        m++;
        cc = 0;
      }
    }
    cnts = next;
  }
  return rle(h, w, cnts, m);
}

/** rleArea: number of foreground pixels. */
export function rleArea(R: Rle): number {
  let a = 0;
  for (let j = 1; j < R.cnts.length; j += 2) a += R.cnts[j]!;
  return u32(a);
}

/**
 * bbIou: IoU of every detection box with every ground-truth box, o[d][g]. Against a crowd ground
 * truth the union is the detection's area alone (the COCO rule for crowd regions).
 */
export function bbIou(dt: Bbox[], gt: Bbox[], iscrowd: ArrayLike<number | boolean> | null): number[][] {
  const o = dt.map(() => new Array<number>(gt.length).fill(0));
  for (let g = 0; g < gt.length; g++) {
    const G = gt[g]!;
    const ga = G[2] * G[3];
    const crowd = iscrowd !== null && !!iscrowd[g];
    for (let d = 0; d < dt.length; d++) {
      const D = dt[d]!;
      const da = D[2] * D[3];
      const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
      if (w <= 0) continue;
      const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
      if (h <= 0) continue;
      const i = w * h;
      const u = crowd ? da : da + ga - i;
      o[d]![g] = i / u;
    }
  }
  return o;
}

/** rleToBbox: tight box [x, y, w, h] of the mask (zeros when empty). */
export function rleToBbox(R: Rle): Bbox {
  const h = R.h;
  const w = R.w;
  const m = Math.floor(R.cnts.length / 2) * 2;
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  if (m === 0) return [0, 0, 0, 0];
  for (let j = 0; j < m; j++) {
    cc = u32(cc + R.cnts[j]!);
    const t = u32(cc - (j % 2));
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // The run wraps a column: the box spans the full height.
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * rleIou: mask IoU o[d][g]; boxes first as a cheap filter, as the C code does. Masks of different
 * sizes give -1. Against a crowd ground truth the union is the detection's area.
 */
export function rleIou(dt: Rle[], gt: Rle[], iscrowd: ArrayLike<number | boolean> | null): number[][] {
  const o = bbIou(dt.map(rleToBbox), gt.map(rleToBbox), iscrowd);
  for (let g = 0; g < gt.length; g++) {
    for (let d = 0; d < dt.length; d++) {
      if (!(o[d]![g]! > 0)) continue;
      const crowd = iscrowd !== null && !!iscrowd[g];
      const D = dt[d]!;
      const G = gt[g]!;
      if (D.h !== G.h || D.w !== G.w) {
        o[d]![g] = -1;
        continue;
      }
      let ca = D.cnts[0]!;
      const ka = D.cnts.length;
      let va = 0;
      let vb = 0;
      let cb = G.cnts[0]!;
      const kb = G.cnts.length;
      let a = 1;
      let b = 1;
      let i = 0;
      let u = 0;
      let ct = 1;
      while (ct > 0) {
        const c = Math.min(ca, cb);
        if (va || vb) {
          u += c;
          if (va && vb) i += c;
        }
        ct = 0;
        ca -= c;
        if (!ca && a < ka) {
          ca = D.cnts[a++]!;
          va = va ? 0 : 1;
        }
        ct += ca;
        cb -= c;
        if (!cb && b < kb) {
          cb = G.cnts[b++]!;
          vb = vb ? 0 : 1;
        }
        ct += cb;
      }
      if (i === 0) u = 1;
      else if (crowd) u = rleArea(D);
      o[d]![g] = i / u;
    }
  }
  return o;
}

/**
 * rleFrPoly: rasterise one polygon [x0,y0,x1,y1,...] (pixel-edge coordinates) exactly as COCO
 * does: upsample the boundary 5x, keep the points where it crosses pixel columns, downsample.
 */
export function rleFrPoly(xy: ArrayLike<number>, h: number, w: number): Rle {
  const k = Math.floor(xy.length / 2);
  const scale = 5;
  const x = new Array<number>(k + 1);
  const y = new Array<number>(k + 1);
  // (int) casts truncate toward zero in C.
  for (let j = 0; j < k; j++) x[j] = Math.trunc(scale * xy[j * 2]! + 0.5);
  x[k] = x[0]!;
  for (let j = 0; j < k; j++) y[j] = Math.trunc(scale * xy[j * 2 + 1]! + 0.5);
  y[k] = y[0]!;
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j]!;
    let xe = x[j + 1]!;
    let ys = y[j]!;
    let ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // Points on the y-boundary, downsampled.
  const px: number[] = [];
  const py: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!;
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    px.push(xd);
    py.push(yd);
  }
  // RLE from the boundary points.
  const a: number[] = [];
  for (let j = 0; j < px.length; j++) a.push(u32(px[j]! * h + py[j]!));
  a.push(u32(h * w));
  a.sort((p, q) => p - q);
  let p = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]!;
    a[j] = u32(a[j]! - p);
    p = t;
  }
  const b: number[] = [];
  let j = 0;
  b.push(a[j++]!);
  while (j < a.length) {
    if (a[j]! > 0) b.push(a[j++]!);
    else {
      j++;
      if (j < a.length) b[b.length - 1] = u32(b[b.length - 1]! + a[j++]!);
    }
  }
  return rle(h, w, b);
}

/** rleFrBbox: a box rasterised as its rectangle polygon. */
export function rleFrBbox(bb: Bbox, h: number, w: number): Rle {
  const xs = bb[0];
  const xe = xs + bb[2];
  const ys = bb[1];
  const ye = ys + bb[3];
  return rleFrPoly([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

/** rleToString: COCO's compressed RLE string (LEB128-like, 6 bits per char, ASCII 48-111). */
export function rleToString(R: Rle): string {
  let s = '';
  for (let i = 0; i < R.cnts.length; i++) {
    let x = R.cnts[i]!;
    if (i > 2) x -= R.cnts[i - 2]!;
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32; // low 5 bits of the two's complement value
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** rleFrString: decode COCO's compressed RLE string. */
export function rleFrString(s: string, h: number, w: number): Rle {
  const cnts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = 1;
    while (more) {
      if (p >= s.length) throw new Error('truncated compressed RLE string');
      const c = s.charCodeAt(p) - 48;
      // 32-bit int shifts, as in the C code (its shift counts are masked to 5 bits on x86 too).
      x |= (c & 0x1f) << (5 * k);
      more = c & 0x20;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    const m = cnts.length;
    if (m > 2) x += cnts[m - 2]!;
    cnts.push(u32(x));
  }
  return rle(h, w, cnts);
}
