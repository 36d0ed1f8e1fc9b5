import fs from 'node:fs';
import path from 'node:path';
import { loadOptionalAddon } from '@dilo/core';

/**
 * The estimators' hot loops compiled (native/saliency_kernels.cc, built at install): each
 * mirrors its TypeScript original operation by operation, so maps are the same bits either way
 * (tested). Optional: missing or unloadable, the TypeScript runs and says so once on stderr.
 * DILO_SALIENCY_NATIVE=0 forces the TypeScript kernels.
 */
export interface SaliencyKernels {
  rgbToLab(rgb: Uint8Array, n: number, out: Float32Array, srgbToLinear: Float64Array, fTable: Float64Array, fSteps: number, fMax: number): void;
  slicAssign(
    L: Float32Array, A: Float32Array, B: Float32Array, w: number, h: number,
    sl: Float64Array, sa: Float64Array, sb: Float64Array, sx: Float64Array, sy: Float64Array,
    offset: number, invwt: number, labels: Int32Array, dist: Float64Array,
  ): void;
  ftSaliencyRgb(rgb: Uint8Array, w: number, h: number, srgbToLinear: Float64Array, fTable: Float64Array, fSteps: number, fMax: number, sal: Float32Array): void;
  fastMbd(img: Float32Array, w: number, h: number, passes: number, D: Float32Array): void;
  upscaleToUint8(src: Float32Array, w: number, h: number, dw: number, dh: number, out: Uint8Array): void;
  mbdCombine(lab: Float32Array, w: number, h: number, passes: number, centreBias: number, sal: Float32Array): void;
  resizeAreaDown(src: Float32Array | Uint8Array, w: number, h: number, ch: number, dw: number, dh: number, out: Float32Array): void;
  resizeBilinear(src: Float32Array, w: number, h: number, ch: number, dw: number, dh: number, out: Float32Array): void;
  toUint8(values: Float32Array, n: number, out: Uint8Array): void;
  greyBinned(rgb: Uint8Array, w: number, h: number, sw: number, sh: number, out: Float32Array): void;
}

let loaded: SaliencyKernels | null | undefined;
let forced: SaliencyKernels | null | undefined;

/** The compiled kernels, or null (off via DILO_SALIENCY_NATIVE=0, not built, or not loadable). */
export function nativeSaliencyKernels(): SaliencyKernels | null {
  if (forced !== undefined) return forced;
  if (loaded === undefined) {
    // node-gyp's output in the package folder, from src/ (tests), dist/ or dist/bench-build/src/
    const rel = path.join('build', 'Release', 'dilo_saliency.node');
    const cands = [1, 2, 3].map((up) => path.join(__dirname, ...Array<string>(up).fill('..'), rel));
    const file = cands.find((c) => fs.existsSync(c)) ?? cands[0];
    loaded = loadOptionalAddon<SaliencyKernels>(file, { label: '@dilo/saliency', disableEnv: 'DILO_SALIENCY_NATIVE', rebuild: 'pnpm nx run saliency:build-native' }).addon;
  }
  return loaded;
}

/** Run fn with the TypeScript kernels only (tests and benchmarks compare the two). */
export function withTypeScriptKernels<T>(fn: () => T): T {
  const prev = forced;
  forced = null;
  try {
    return fn();
  } finally {
    forced = prev;
  }
}
