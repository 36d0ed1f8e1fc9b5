/** Helpers shared by this package's tests (not exported from the index). */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePng, Rng } from '@dilo/core';

export async function tempDir(prefix = 'dilo-eval-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A tiny ImageFolder: `perClass` noisy images per class, class c has mean brightness 40 + 60c. */
export async function writeTinyFolder(root: string, classes = ['a', 'b', 'c'], perClass = 4, size = 12, seed = 1): Promise<void> {
  const rng = new Rng(seed);
  for (let c = 0; c < classes.length; c++) {
    await fs.mkdir(path.join(root, classes[c]), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const data = new Uint8Array(size * size * 3);
      for (let j = 0; j < data.length; j++) data[j] = Math.max(0, Math.min(255, Math.round(40 + 60 * c + rng.normal(0, 10))));
      await fs.writeFile(path.join(root, classes[c], `${i}.png`), await encodePng({ width: size, height: size, data }));
    }
  }
}
