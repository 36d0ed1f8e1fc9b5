import type { Manifest } from '@dilo/core';
import type { SampleRef } from './two-view';

/** Loader samples from a core manifest: the mask of a paired manifest is the saliency map. */
export function samplesFromManifest(m: Manifest): SampleRef[] {
  return m.samples.map((s) => ({ image: s.image, label: s.label, ...(s.mask ? { map: s.mask } : {}) }));
}
