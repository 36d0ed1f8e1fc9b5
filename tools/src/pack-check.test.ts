import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dependencyOrder, installConsumer, packAll, packAndImport, publishablePackages, readmeExamples, runExample } from './pack-check';

const TORCH_REQUIRED = process.env.CI === 'true';

describe('readmeExamples', () => {
  it('takes the fenced block after each marker, and rejects a marker without one', () => {
    const md = 'intro\n<!-- pack-check -->\n```js\nconsole.log(1)\n```\n\n```js\nnot marked\n```\n<!-- pack-check -->\n```sh\necho hi\n```\n';
    expect(readmeExamples(md)).toEqual([
      { lang: 'js', code: 'console.log(1)\n', line: 3 },
      { lang: 'sh', code: 'echo hi\n', line: 11 },
    ]);
    expect(() => readmeExamples('<!-- pack-check -->\ntext\n', 'X.md')).toThrow('X.md:1: <!-- pack-check --> must be followed by a fenced block');
    expect(() => readmeExamples('<!-- pack-check -->\n```ts\nx\n```\n', 'X.md')).toThrow('not ts');
  });
});

describe('dependencyOrder', () => {
  it('puts every package after its dilo dependencies and names a cycle', () => {
    const order = dependencyOrder([
      { name: '@dilo/c', dir: '', diloDeps: ['@dilo/b', '@dilo/a'] },
      { name: '@dilo/b', dir: '', diloDeps: ['@dilo/a'] },
      { name: '@dilo/a', dir: '', diloDeps: [] },
    ]);
    expect(order).toEqual(['@dilo/a', '@dilo/b', '@dilo/c']);
    expect(() =>
      dependencyOrder([
        { name: '@dilo/a', dir: '', diloDeps: ['@dilo/b'] },
        { name: '@dilo/b', dir: '', diloDeps: ['@dilo/a'] },
      ]),
    ).toThrow('dependency cycle: @dilo/a -> @dilo/b -> @dilo/a');
  });
});

describe('publishable packages', () => {
  it('@dilo/core packs, installs alone in an empty project and imports', () => {
    const r = packAndImport(path.resolve(__dirname, '..', '..', 'packages', 'core'));
    expect(r.tarball).toMatch(/dilo-core-\d+\.\d+\.\d+\.tgz$/);
    expect(Object.keys(r.packed).sort()).toEqual(['@dilo/core', '@dilo/engine-torch']);
    for (const name of ['decodeImage', 'Rng', 'ArtifactStore', 'generateSynthDataset', 'selectBackend']) expect(r.exports).toContain(name);
  }, 300_000);

  it('every package installs from its tarball in one empty folder and its README example runs there', () => {
    const pkgs = publishablePackages();
    expect(pkgs.map((p) => p.name)).toEqual(expect.arrayContaining(['@dilo/core', '@dilo/engine-torch', '@dilo/saliency', '@dilo/augment', '@dilo/contrastive', '@dilo/eval', '@dilo/detection', '@dilo/cli']));
    const examples = new Map(pkgs.map((p) => [p.name, readmeExamples(readFileSync(path.join(p.dir, 'README.md'), 'utf8'), path.join(p.dir, 'README.md'))]));
    const without = [...examples].filter(([, ex]) => ex.length === 0).map(([n]) => n);
    expect(without).toEqual([]); // every package's README shows a runnable example
    const project = installConsumer(packAll(pkgs), { buildTorch: TORCH_REQUIRED });
    const failures: string[] = [];
    for (const [name, exs] of examples) {
      for (const ex of exs) {
        const r = runExample(project, ex, name);
        const out = r.stdout.trim();
        if (r.status !== 0 || out === '') failures.push(`${name} README example (line ${ex.line}): exit ${r.status}\n${out.slice(-1500)}\n${r.stderr.slice(-1500)}`);
        if (name === '@dilo/engine-torch' && TORCH_REQUIRED && !/backend torch/.test(out)) failures.push(`@dilo/engine-torch example did not run on the torch backend (CI has libtorch):\n${out}`);
        if (name === '@dilo/cli') {
          const last = out.split('\n').pop() ?? '';
          try {
            JSON.parse(last);
          } catch {
            failures.push(`@dilo/cli example: last stdout line is not JSON: ${last}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
