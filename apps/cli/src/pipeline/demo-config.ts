/** The demo's settings, as data: what `dilo demo` runs unless told otherwise. */
export interface DemoConfig {
  seed: number;
  /** saliency estimator and its parameters (superpixels scaled to 64 px images) */
  saliency: { method: string; params: Record<string, unknown> };
  pretrain: {
    method: 'mocov2';
    arch: 'resnet18';
    width: number;
    size: number;
    epochs: number;
    batch: number;
    queue: number;
    workers: number;
    /** stop each run after this many steps (smoke runs); null = full epochs */
    maxSteps: number | null;
  };
  /** DiLo's switch for the second run (the first is plain MoCo v2, p = 0) */
  dilo: { p: number; background: string };
}

export const DEMO_DEFAULTS: DemoConfig = {
  seed: 0,
  // ~40 px per superpixel gives ~100 superpixels on a 64x64 image (the paper's 600 px suit 400x300)
  saliency: { method: 'rbd', params: { slic: { pixelsPerSuperpixel: 40 }, boundaryBand: 2 } },
  // 10 epochs: at 2 neither run picks up the dataset's background shortcut enough for DiLo to
  // change it (docs/reproduction.md: demo grid vs demo-10ep); ~8 min for the whole demo on 2 idle cores
  pretrain: { method: 'mocov2', arch: 'resnet18', width: 0.25, size: 32, epochs: 10, batch: 64, queue: 1024, workers: 1, maxSteps: null },
  // p 0.5 rather than the paper's 0.3: at this short schedule 0.5 is the rate at which DiLo beats
  // MoCo on mixed-rand and BG-gap in every seed (docs/reproduction.md, demo-10ep-p grid)
  dilo: { p: 0.5, background: 'grey' },
};
