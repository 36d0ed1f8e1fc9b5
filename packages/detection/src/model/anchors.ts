/**
 * Anchors as detectron2's DefaultAnchorGenerator makes them (the RPN of the C4 recipe: one feature
 * map of stride 16, sizes 32..512, aspect ratios 0.5/1/2, offset 0). Boxes are [x0, y0, x1, y1]
 * in input-image pixels, continuous coordinates; no rounding (torchvision's generator rounds).
 */
export interface AnchorConfig {
  sizes: number[];
  aspectRatios: number[];
  stride: number;
  /** Anchor centres at (offset + i) * stride; detectron2's default is 0. */
  offset: number;
}

export const C4_ANCHORS: AnchorConfig = { sizes: [32, 64, 128, 256, 512], aspectRatios: [0.5, 1.0, 2.0], stride: 16, offset: 0 };

/**
 * generate_cell_anchors: for each size, for each aspect ratio (h / w), a box of area size^2
 * centred at 0. Flat [A * 4].
 */
export function cellAnchors(sizes: number[], aspectRatios: number[]): Float64Array {
  const out = new Float64Array(sizes.length * aspectRatios.length * 4);
  let k = 0;
  for (const size of sizes) {
    const area = size ** 2;
    for (const ar of aspectRatios) {
      const w = Math.sqrt(area / ar);
      const h = ar * w;
      out[k++] = -w / 2;
      out[k++] = -h / 2;
      out[k++] = w / 2;
      out[k++] = h / 2;
    }
  }
  return out;
}

/**
 * grid_anchors: the cell anchors shifted to every feature-map location, location-major (row by
 * row, then column), then cell anchor: index ((y * width + x) * A + a). Flat [H * W * A * 4].
 */
export function gridAnchors(cfg: AnchorConfig, gridHeight: number, gridWidth: number): Float64Array {
  const cell = cellAnchors(cfg.sizes, cfg.aspectRatios);
  const A = cell.length / 4;
  const out = new Float64Array(gridHeight * gridWidth * A * 4);
  let k = 0;
  for (let y = 0; y < gridHeight; y++) {
    const sy = cfg.offset * cfg.stride + y * cfg.stride;
    for (let x = 0; x < gridWidth; x++) {
      const sx = cfg.offset * cfg.stride + x * cfg.stride;
      for (let a = 0; a < A; a++) {
        out[k++] = cell[a * 4]! + sx;
        out[k++] = cell[a * 4 + 1]! + sy;
        out[k++] = cell[a * 4 + 2]! + sx;
        out[k++] = cell[a * 4 + 3]! + sy;
      }
    }
  }
  return out;
}
