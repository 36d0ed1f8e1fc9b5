/**
 * Foreground objects of the generated dataset. A class is defined by the object alone:
 * its shape, its pattern and its hue. Position, scale, rotation and exact colour vary.
 */
import { Rng } from '../rng';

export interface ObjectClass {
  name: string;
  /** inside test in the object's unit frame: (u, v) in [-1, 1]^2 */
  inside: (u: number, v: number) => boolean;
  /** fill pattern in the unit frame: returns a factor in [0.35, 1] that modulates the colour */
  pattern: (u: number, v: number) => number;
  /** base hue in degrees */
  hue: number;
}

const solid = () => 1;
const stripes = (u: number) => (Math.floor((u + 1) * 3) % 2 === 0 ? 1 : 0.45);
const rings = (u: number, v: number) => (Math.floor(Math.hypot(u, v) * 4) % 2 === 0 ? 1 : 0.5);
const checks = (u: number, v: number) => ((Math.floor((u + 1) * 2.5) + Math.floor((v + 1) * 2.5)) % 2 === 0 ? 1 : 0.5);
const dots = (u: number, v: number) => (Math.hypot(((u + 1) * 2.5) % 1 - 0.5, ((v + 1) * 2.5) % 1 - 0.5) < 0.28 ? 0.45 : 1);

function polygon(n: number, rot = 0): (u: number, v: number) => boolean {
  // regular n-gon with circumradius 1: inside if the point is inside every edge half-plane
  const apothem = Math.cos(Math.PI / n);
  return (u, v) => {
    for (let k = 0; k < n; k++) {
      const a = rot + ((2 * k + 1) * Math.PI) / n;
      if (u * Math.cos(a) + v * Math.sin(a) > apothem) return false;
    }
    return true;
  };
}

function star(points: number, inner: number): (u: number, v: number) => boolean {
  return (u, v) => {
    const r = Math.hypot(u, v);
    if (r > 1) return false;
    let a = Math.atan2(v, u) + Math.PI / 2;
    const seg = (2 * Math.PI) / points;
    a = ((a % seg) + seg) % seg;
    const t = Math.abs(a / seg - 0.5) * 2; // 1 at a tip, 0 between tips
    return r <= inner + (1 - inner) * t;
  };
}

export const OBJECT_CLASSES: readonly ObjectClass[] = [
  { name: 'disc', inside: (u, v) => u * u + v * v <= 1, pattern: solid, hue: 0 },
  { name: 'square', inside: (u, v) => Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8, pattern: checks, hue: 36 },
  { name: 'triangle', inside: polygon(3, Math.PI / 6), pattern: solid, hue: 72 },
  { name: 'star', inside: star(5, 0.45), pattern: solid, hue: 108 },
  { name: 'cross', inside: (u, v) => (Math.abs(u) <= 0.3 && Math.abs(v) <= 0.95) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 0.95), pattern: solid, hue: 144 },
  { name: 'ring', inside: (u, v) => { const r = u * u + v * v; return r <= 1 && r >= 0.3; }, pattern: stripes, hue: 180 },
  { name: 'hexagon', inside: polygon(6), pattern: dots, hue: 216 },
  { name: 'diamond', inside: (u, v) => Math.abs(u) + Math.abs(v) <= 1, pattern: stripes, hue: 252 },
  { name: 'crescent', inside: (u, v) => u * u + v * v <= 1 && (u - 0.45) ** 2 + v * v > 0.6, pattern: solid, hue: 288 },
  { name: 'target', inside: (u, v) => u * u + v * v <= 1, pattern: rings, hue: 324 },
];

/** HSV (h in degrees, s, v in [0,1]) to RGB 0-255. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  h = ((h % 360) + 360) % 360;
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

export interface Placement {
  cx: number;
  cy: number;
  /** radius in pixels */
  radius: number;
  /** rotation in radians */
  angle: number;
}

export function drawPlacement(rng: Rng, size: number): Placement {
  const radius = size * rng.uniform(0.2, 0.34);
  const margin = radius * 0.9;
  return { cx: rng.uniform(margin, size - margin), cy: rng.uniform(margin, size - margin), radius, angle: rng.uniform(-Math.PI, Math.PI) };
}

/**
 * Paint the object over an RGB HWC image in place and write its exact mask (0 or 255).
 * Returns the number of foreground pixels.
 */
export function paintObject(cls: ObjectClass, rng: Rng, img: Uint8Array, mask: Uint8Array, size: number, at: Placement): number {
  const [r0, g0, b0] = hsvToRgb(cls.hue + rng.uniform(-12, 12), rng.uniform(0.65, 1), rng.uniform(0.7, 1));
  const ca = Math.cos(at.angle);
  const sa = Math.sin(at.angle);
  let count = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (x + 0.5 - at.cx) / at.radius;
      const dy = (y + 0.5 - at.cy) / at.radius;
      const u = ca * dx + sa * dy;
      const v = -sa * dx + ca * dy;
      const p = y * size + x;
      if (u < -1 || u > 1 || v < -1 || v > 1 || !cls.inside(u, v)) {
        mask[p] = 0;
        continue;
      }
      const f = cls.pattern(u, v);
      img[3 * p] = Math.round(r0 * f);
      img[3 * p + 1] = Math.round(g0 * f);
      img[3 * p + 2] = Math.round(b0 * f);
      mask[p] = 255;
      count++;
    }
  }
  return count;
}
