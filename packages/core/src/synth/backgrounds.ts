/**
 * Procedural background families of the generated dataset. Each family has a recognisable
 * texture statistic (orientation, frequency, smoothness), with random colours and phases,
 * so a network can solve classification from the background alone when the two correlate.
 */
import { Rng } from '../rng';
import { hsvToRgb } from './shapes';

export type BackgroundPainter = (rng: Rng, img: Uint8Array, size: number) => void;

function randomColour(rng: Rng): [number, number, number] {
  return hsvToRgb(rng.uniform(0, 360), rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.9));
}

function fill(img: Uint8Array, size: number, f: (x: number, y: number) => number, c0: number[], c1: number[]): void {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = Math.min(1, Math.max(0, f(x, y)));
      const p = 3 * (y * size + x);
      img[p] = Math.round(c0[0] + (c1[0] - c0[0]) * t);
      img[p + 1] = Math.round(c0[1] + (c1[1] - c0[1]) * t);
      img[p + 2] = Math.round(c0[2] + (c1[2] - c0[2]) * t);
    }
  }
}

function stripes(angle: number): BackgroundPainter {
  return (rng, img, size) => {
    const period = size * rng.uniform(0.12, 0.2);
    const a = angle + rng.uniform(-0.15, 0.15);
    const phase = rng.uniform(0, period);
    const ca = Math.cos(a), sa = Math.sin(a);
    fill(img, size, (x, y) => (((x * ca + y * sa + phase) % period) + period) % period < period / 2 ? 0 : 1, randomColour(rng), randomColour(rng));
  };
}

const noise: BackgroundPainter = (rng, img, size) => {
  const c0 = randomColour(rng), c1 = randomColour(rng);
  for (let i = 0; i < size * size; i++) {
    const t = rng.float();
    for (let k = 0; k < 3; k++) img[3 * i + k] = Math.round(c0[k] + (c1[k] - c0[k]) * t);
  }
};

const gradient: BackgroundPainter = (rng, img, size) => {
  const a = rng.uniform(0, 2 * Math.PI);
  const ca = Math.cos(a), sa = Math.sin(a);
  fill(img, size, (x, y) => 0.5 + ((x / size - 0.5) * ca + (y / size - 0.5) * sa), randomColour(rng), randomColour(rng));
};

const blobs: BackgroundPainter = (rng, img, size) => {
  const n = 6;
  const centres = Array.from({ length: n }, () => [rng.uniform(0, size), rng.uniform(0, size), size * rng.uniform(0.1, 0.25)]);
  fill(img, size, (x, y) => {
    let s = 0;
    for (const [cx, cy, r] of centres) s += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
    return s;
  }, randomColour(rng), randomColour(rng));
};

const checker: BackgroundPainter = (rng, img, size) => {
  const cell = size * rng.uniform(0.08, 0.14);
  const ox = rng.uniform(0, cell), oy = rng.uniform(0, cell);
  fill(img, size, (x, y) => (Math.floor((x + ox) / cell) + Math.floor((y + oy) / cell)) % 2, randomColour(rng), randomColour(rng));
};

const waves: BackgroundPainter = (rng, img, size) => {
  const fx = rng.uniform(2, 4) * 2 * Math.PI / size, fy = rng.uniform(2, 4) * 2 * Math.PI / size;
  const px = rng.uniform(0, 6.3), py = rng.uniform(0, 6.3);
  fill(img, size, (x, y) => 0.5 + 0.25 * Math.sin(x * fx + px + 2 * Math.sin(y * fy + py)) + 0.25 * Math.sin(y * fy), randomColour(rng), randomColour(rng));
};

const speckle: BackgroundPainter = (rng, img, size) => {
  const base = randomColour(rng), dot = randomColour(rng);
  fill(img, size, () => 0, base, base);
  const n = Math.round(size * size * 0.02);
  for (let i = 0; i < n; i++) {
    const x = rng.int(size), y = rng.int(size);
    for (let dy = 0; dy < 2 && y + dy < size; dy++) for (let dx = 0; dx < 2 && x + dx < size; dx++) {
      const p = 3 * ((y + dy) * size + x + dx);
      img[p] = dot[0]; img[p + 1] = dot[1]; img[p + 2] = dot[2];
    }
  }
};

const radial: BackgroundPainter = (rng, img, size) => {
  const cx = rng.uniform(0, size), cy = rng.uniform(0, size), period = size * rng.uniform(0.1, 0.16);
  fill(img, size, (x, y) => (Math.hypot(x - cx, y - cy) % period) < period / 2 ? 0 : 1, randomColour(rng), randomColour(rng));
};

/** The families, in class-correlation order: family i is the "usual" background of class i. */
export const BACKGROUND_FAMILIES: readonly { name: string; paint: BackgroundPainter }[] = [
  { name: 'stripes-horizontal', paint: stripes(Math.PI / 2) },
  { name: 'stripes-vertical', paint: stripes(0) },
  { name: 'stripes-diagonal', paint: stripes(Math.PI / 4) },
  { name: 'noise', paint: noise },
  { name: 'gradient', paint: gradient },
  { name: 'blobs', paint: blobs },
  { name: 'checker', paint: checker },
  { name: 'waves', paint: waves },
  { name: 'speckle', paint: speckle },
  { name: 'rings', paint: radial },
];
