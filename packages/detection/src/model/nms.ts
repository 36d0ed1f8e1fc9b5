/**
 * Non-maximum suppression as torchvision.ops.nms (used by detectron2): visit boxes by descending
 * score; keep a box and drop every later box whose IoU with it is > iouThreshold. IoU on
 * [x0, y0, x1, y1] continuous boxes, no +1. Equal scores keep input order.
 */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new RangeError(`nms: ${boxes.length} box numbers for ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b]! > scores[a]! ? 1 : scores[b]! < scores[a]! ? -1 : a - b));
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = (boxes[4 * i + 2]! - boxes[4 * i]!) * (boxes[4 * i + 3]! - boxes[4 * i + 1]!);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = boxes[4 * i]!;
    const iy1 = boxes[4 * i + 1]!;
    const ix2 = boxes[4 * i + 2]!;
    const iy2 = boxes[4 * i + 3]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j]) continue;
      const w = Math.max(0, Math.min(ix2, boxes[4 * j + 2]!) - Math.max(ix1, boxes[4 * j]!));
      const h = Math.max(0, Math.min(iy2, boxes[4 * j + 3]!) - Math.max(iy1, boxes[4 * j + 1]!));
      const inter = w * h;
      if (inter / (area[i]! + area[j]! - inter) > iouThreshold) suppressed[j] = 1;
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
