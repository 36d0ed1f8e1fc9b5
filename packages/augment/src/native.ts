import path from 'node:path';
import { loadOptionalAddon } from '@dilo/core';

/**
 * The compiled view kernels (native/view_kernels.cc, built at install by scripts/build.js): the
 * same arithmetic as the TypeScript transforms, vectorised. Optional: when the addon is missing
 * or fails to load, the view pipeline runs the TypeScript kernels and says so once on stderr.
 * DILO_AUGMENT_NATIVE=0 forces the TypeScript kernels.
 */
export interface ViewKernels {
  /**
   * Crop box [i, j, h, w] of an interleaved RGB source (uint8 or float 0-255), resized to
   * size x size (PIL bilinear), then `ops` in order (0-3 jitter ops, 4 grayscale, 5 blur), then
   * flip and normalise into out[offset..] as CHW float32. params: [brightness, contrast,
   * saturation, hue, blurSigma, flip (0/1), mean0..2, std0..2].
   */
  renderView(src: Uint8Array | Float32Array, srcW: number, srcH: number, box: Float64Array, size: number, ops: Int32Array, params: Float64Array, out: Float32Array, offset: number): void;
  /** a = map / 255 into alpha, Gaussian-blurred (PIL semantics) with sigma when sigma > 0 */
  pasteAlpha(map: Uint8Array, width: number, height: number, sigma: number, alpha: Float32Array): void;
  /** out = a * image + (1 - a) * background, background one grey level or an HWC float image */
  composite(image: Uint8Array, alpha: Float32Array, background: number | Float32Array, out: Float32Array): void;
}

/** Op ids of renderView (the colour ids match color-jitter.ts: BRIGHTNESS..GRAYSCALE). */
export const NATIVE_BLUR_OP = 5;

let loaded: ViewKernels | null | undefined;

/** The native kernels, or null when they are off (DILO_AUGMENT_NATIVE=0) or cannot load. */
export function nativeViewKernels(): ViewKernels | null {
  if (loaded === undefined) {
    // node-gyp's output, from src/ (tests) or dist/ (built)
    const file = path.join(__dirname, '..', 'build', 'Release', 'dilo_augment.node');
    loaded = loadOptionalAddon<ViewKernels>(file, { label: '@dilo/augment', disableEnv: 'DILO_AUGMENT_NATIVE', rebuild: 'pnpm nx run augment:build-native' }).addon;
  }
  return loaded;
}

/** Which kernels the view pipeline runs: 'native' or 'typescript'. */
export function viewKernelKind(): 'native' | 'typescript' {
  return nativeViewKernels() ? 'native' : 'typescript';
}
