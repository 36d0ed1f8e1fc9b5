import * as path from 'node:path';
import { packAndImport } from './pack-check';

describe('publishable packages', () => {
  it('@dilo/core packs, installs in an empty project and imports', () => {
    const r = packAndImport(path.resolve(__dirname, '..', '..', 'packages', 'core'));
    expect(r.tarball).toMatch(/dilo-core-0\.1\.0\.tgz$/);
    expect(Object.keys(r.packed).sort()).toEqual(['@dilo/core', '@dilo/engine-torch']);
    for (const name of ['decodeImage', 'Rng', 'ArtifactStore', 'generateSynthDataset', 'selectBackend']) expect(r.exports).toContain(name);
  }, 240_000);
});
