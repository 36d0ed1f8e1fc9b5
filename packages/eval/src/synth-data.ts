/**
 * The generated "objects on backgrounds" dataset as evaluation manifests: train and the three
 * aligned validation splits, each paired with its exact masks (OUT/masks/<split>/...).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, imageFolder, pairMasks, type Manifest, type SplitName } from '@dilo/core';

export interface SynthManifests {
  root: string;
  train: Manifest;
  valSame: Manifest;
  valMixedRand: Manifest;
  valOnlyFg: Manifest;
}

export function isSynthDataset(root: string): boolean {
  return existsSync(path.join(root, 'meta.json')) && existsSync(path.join(root, 'val-same')) && existsSync(path.join(root, 'masks'));
}

export async function synthSplit(root: string, split: SplitName): Promise<Manifest> {
  const m = await pairMasks(await imageFolder(path.join(root, split)), path.join(root, 'masks', split), { checkSizes: false });
  if (m.issues.length) throw new DiloInputError(m.issues[0].file, `${m.issues.length} image(s) without a usable mask in ${split}: ${m.issues[0].detail}`);
  return m;
}

export async function loadSynthManifests(root: string): Promise<SynthManifests> {
  if (!isSynthDataset(root)) throw new DiloInputError(root, 'not a generated dataset (expected meta.json, val-same/ and masks/)');
  return {
    root,
    train: await synthSplit(root, 'train'),
    valSame: await synthSplit(root, 'val-same'),
    valMixedRand: await synthSplit(root, 'val-mixed-rand'),
    valOnlyFg: await synthSplit(root, 'val-only-fg'),
  };
}
