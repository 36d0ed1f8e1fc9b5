/**
 * Augmentation settings as data: one typed object per preset (MoCo v1, MoCo v2), with DiLo's
 * copy-paste as an optional first step. Everything a view does is read from here.
 */

/** Where the pasted foreground's new background comes from. */
export type BackgroundSpec =
  /** one uniform grey level drawn from {0..254} per paste (the released loader's default) */
  | { kind: 'grey' }
  /** a texture image from `files` (a folder's images), randomly cropped after resizing to cover */
  | { kind: 'texture'; files: string[] }
  /** another training image (resized to cover, random crop); with removeForeground its own
   *  foreground is replaced by its mean background colour using its map */
  | { kind: 'natural'; removeForeground: boolean };

export interface PasteConfig {
  /** probability that a view is pasted, drawn per view independently (DiLo: 0.3) */
  p: number;
  /** probability that the map is Gaussian-blurred before use ("blending", DiLo: 0.5) */
  blurProb: number;
  /**
   * Blur radius in pixels at the image's resolution (DiLo: 5). It is PIL's GaussianBlur radius,
   * i.e. the Gaussian's standard deviation: sigma = blurRadius (see box-blur.ts).
   */
  blurRadius: number;
  background: BackgroundSpec;
}

/** torchvision.transforms.RandomResizedCrop(size, scale, ratio). */
export interface RrcConfig {
  scale: [number, number];
  ratio: [number, number];
}

/** torchvision.transforms.ColorJitter(brightness, contrast, saturation, hue), applied with probability p. */
export interface ColorJitterConfig {
  p: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** MoCo v2's GaussianBlur(sigma=[0.1, 2]) with RandomApply p. */
export interface BlurConfig {
  p: number;
  sigma: [number, number];
}

/** The per-view steps after the crop, in the preset's order (MoCo v1 greys before jittering). */
export type ColourStep = 'colorJitter' | 'grayscale' | 'blur';

export interface AugmentConfig {
  name: string;
  /** output side in pixels (224 for ImageNet, 32-128 for small runs) */
  size: number;
  /** DiLo copy-paste, or null for plain MoCo */
  paste: PasteConfig | null;
  rrc: RrcConfig;
  colorJitter: ColorJitterConfig;
  grayscaleP: number;
  blur: BlurConfig | null;
  flipP: number;
  steps: ColourStep[];
  mean: [number, number, number];
  std: [number, number, number];
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** DiLo's paste as released: p 0.3, blur with probability 0.5 at radius 5 px, grey backgrounds. */
export const DILO_PASTE: PasteConfig = { p: 0.3, blurProb: 0.5, blurRadius: 5, background: { kind: 'grey' } };

export type PresetName = 'mocov1' | 'mocov2';

/** facebookresearch/moco main_moco.py, `--aug-plus` off: RRC, grayscale 0.2, ColorJitter(0.4,0.4,0.4,0.4), flip. */
function mocov1(): AugmentConfig {
  return {
    name: 'mocov1',
    size: 224,
    paste: { ...DILO_PASTE },
    rrc: { scale: [0.2, 1], ratio: [3 / 4, 4 / 3] },
    colorJitter: { p: 1, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.4 },
    grayscaleP: 0.2,
    blur: null,
    flipP: 0.5,
    steps: ['grayscale', 'colorJitter'],
    mean: [...IMAGENET_MEAN],
    std: [...IMAGENET_STD],
  };
}

/** main_moco.py `--aug-plus`: RRC, ColorJitter(0.4,0.4,0.4,0.1) p 0.8, grayscale 0.2, blur [0.1,2] p 0.5, flip. */
function mocov2(): AugmentConfig {
  return {
    name: 'mocov2',
    size: 224,
    paste: { ...DILO_PASTE },
    rrc: { scale: [0.2, 1], ratio: [3 / 4, 4 / 3] },
    colorJitter: { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
    grayscaleP: 0.2,
    blur: { p: 0.5, sigma: [0.1, 2] },
    flipP: 0.5,
    steps: ['colorJitter', 'grayscale', 'blur'],
    mean: [...IMAGENET_MEAN],
    std: [...IMAGENET_STD],
  };
}

export interface PresetOverrides {
  size?: number;
  /** null switches DiLo off (plain MoCo); a partial object overrides DiLo's defaults */
  paste?: Partial<PasteConfig> | null;
}

/** A preset's settings with the common overrides applied, validated. */
export function augmentPreset(name: PresetName, overrides: PresetOverrides = {}): AugmentConfig {
  const base = name === 'mocov1' ? mocov1() : name === 'mocov2' ? mocov2() : null;
  if (!base) throw new RangeError(`unknown augmentation preset '${String(name)}' (mocov1, mocov2)`);
  if (overrides.size !== undefined) base.size = overrides.size;
  if (overrides.paste === null) base.paste = null;
  else if (overrides.paste) base.paste = { ...DILO_PASTE, ...overrides.paste };
  validateConfig(base);
  return base;
}

function prob(v: number, what: string): void {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${what} must be a probability in [0, 1], got ${v}`);
}

/** Throws RangeError naming the bad setting. */
export function validateConfig(c: AugmentConfig): void {
  if (!Number.isInteger(c.size) || c.size < 1 || c.size > 4096) throw new RangeError(`size must be an integer in 1..4096, got ${c.size}`);
  if (c.paste) {
    prob(c.paste.p, 'paste.p');
    prob(c.paste.blurProb, 'paste.blurProb');
    if (!(c.paste.blurRadius >= 0)) throw new RangeError(`paste.blurRadius must be >= 0, got ${c.paste.blurRadius}`);
    if (c.paste.background.kind === 'texture' && c.paste.background.files.length === 0) throw new RangeError('texture backgrounds need at least one texture file');
  }
  const [s0, s1] = c.rrc.scale;
  const [r0, r1] = c.rrc.ratio;
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw new RangeError(`rrc.scale must satisfy 0 < min <= max <= 1, got [${s0}, ${s1}]`);
  if (!(r0 > 0 && r0 <= r1)) throw new RangeError(`rrc.ratio must satisfy 0 < min <= max, got [${r0}, ${r1}]`);
  const j = c.colorJitter;
  prob(j.p, 'colorJitter.p');
  for (const k of ['brightness', 'contrast', 'saturation'] as const) if (!(j[k] >= 0)) throw new RangeError(`colorJitter.${k} must be >= 0, got ${j[k]}`);
  if (!(j.hue >= 0 && j.hue <= 0.5)) throw new RangeError(`colorJitter.hue must be in [0, 0.5], got ${j.hue}`);
  prob(c.grayscaleP, 'grayscaleP');
  prob(c.flipP, 'flipP');
  if (c.blur) {
    prob(c.blur.p, 'blur.p');
    if (!(c.blur.sigma[0] > 0 && c.blur.sigma[0] <= c.blur.sigma[1])) throw new RangeError(`blur.sigma must satisfy 0 < min <= max, got [${c.blur.sigma}]`);
  }
  for (const s of c.std) if (!(s > 0)) throw new RangeError(`std must be positive, got ${c.std}`);
}
