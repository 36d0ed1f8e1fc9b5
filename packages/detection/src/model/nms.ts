/**
 * Non-maximum suppression as torchvision.ops.nms (used by detectron2): visit boxes by descending
 * score; keep a box and drop every later box whose IoU with it is > iouThreshold. IoU on
 * [x0, y0, x1, y1] continuous boxes, no +1. Equal scores keep input order.
 */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new RangeError(`nms: ${boxes.length} box numbers for ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b]! > scores[a]! ? 1 : scores[b]! < scores[a]! ? -1 : a - b));
  // Coordinates gathered in visiting order: the inner loop then reads contiguous typed arrays.
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y2 = new Float64Array(n);
  const area = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    x1[k] = boxes[4 * i]!;
    y1[k] = boxes[4 * i + 1]!;
    x2[k] = boxes[4 * i + 2]!;
    y2[k] = boxes[4 * i + 3]!;
    area[k] = (x2[k]! - x1[k]!) * (y2[k]! - y1[k]!);
  }
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    if (suppressed[oi]) continue;
    keep.push(order[oi]!);
    const ix1 = x1[oi]!;
    const iy1 = y1[oi]!;
    const ix2 = x2[oi]!;
    const iy2 = y2[oi]!;
    const ia = area[oi]!;
    for (let oj = oi + 1; oj < n; oj++) {
      if (suppressed[oj]) continue;
      const w = Math.max(0, Math.min(ix2, x2[oj]!) - Math.max(ix1, x1[oj]!));
      const h = Math.max(0, Math.min(iy2, y2[oj]!) - Math.max(iy1, y1[oj]!));
      const inter = w * h;
      if (inter / (ia + area[oj]! - inter) > iouThreshold) suppressed[oj] = 1;
    }
  }
  return keep;
}

/**
 * batched_nms: NMS within each category independently; kept indices in descending score order
 * across categories (as torchvision's batched_nms returns them).
 */
export function batchedNms(boxes: ArrayLike<number>, scores: ArrayLike<number>, categories: ArrayLike<number>, iouThreshold: number): number[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const c = categories[i]!;
    let g = groups.get(c);
    if (!g) groups.set(c, (g = []));
    g.push(i);
  }
  const keep: number[] = [];
  for (const idx of groups.values()) {
    const b = new Float64Array(idx.length * 4);
    idx.forEach((i, k) => {
      for (let q = 0; q < 4; q++) b[4 * k + q] = boxes[4 * i + q]!;
    });
    for (const k of nms(b, idx.map((i) => scores[i]!), iouThreshold)) keep.push(idx[k]!);
  }
  return keep.sort((a, b) => (scores[b]! > scores[a]! ? 1 : scores[b]! < scores[a]! ? -1 : a - b));
}
