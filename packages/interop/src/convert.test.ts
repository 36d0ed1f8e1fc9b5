import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '@dilo/core';
import { extractFeatures, loadEncoder } from '@dilo/contrastive';
import { convertCheckpoint } from './convert';
import { exportRun } from './export';
import { readSafetensors } from './safetensors';
import { runPython, torchPython } from '../test/python-peer';

const py = torchPython();
const maybe = py ? describe : describe.skip;
if (!py) it('needs a Python with torch and torchvision (skipped: none found; CI requires one)', () => undefined);
const WRITER = path.join(__dirname, '..', 'test', 'write_checkpoints.py');

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function features(run: string, input: Float32Array): Promise<Float32Array> {
  const enc = await loadEncoder(run);
  try {
    return extractFeatures(enc, { data: input, n: 2, height: 64, width: 64 }).pooled.data;
  } finally {
    enc.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

maybe('PyTorch checkpoints in and out', () => {
  beforeAll(async () => {
    await selectBackend({ log: false });
  });

  for (const arch of ['resnet18', 'resnet50'] as const) {
    it(`${arch}: the four layouts import with PyTorch's pooled features to 1e-4`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `dilo-interop-${arch}-`));
      runPython(py as string, readFileSync(WRITER, 'utf8'), [dir, arch, '3']);
      const input = f32(path.join(dir, 'input.bin'));
      const expected = f32(path.join(dir, 'features.bin'));
      const cases = [
        ['torchvision', 'torchvision.pth', 'zip', 'model'],
        ['moco', 'moco.pth.tar', 'legacy', 'state_dict'],
        ['dilo', 'dilo.pth.tar', 'zip', 'state_dict'],
        ['detectron2', 'detectron2.pkl', 'pickle', 'model'],
      ] as const;
      for (const [from, file, container, at] of cases) {
        const run = path.join(dir, `run-${from}`);
        const s = await convertCheckpoint({ from, input: path.join(dir, file), out: run, size: 64 });
        expect({ from, container: s.container, at: s.stateDictPath, arch: s.arch, width: s.width, smallStem: s.smallStem }).toEqual({ from, container, at, arch, width: 1, smallStem: false });
        if (from === 'torchvision') expect(s.ignored.filter((k) => !k.endsWith('num_batches_tracked')).sort()).toEqual(['fc.bias', 'fc.weight']);
        if (from === 'moco' || from === 'dilo') {
          expect(s.ignored).toContain('module.encoder_k.conv1.weight');
          expect(s.ignored).toContain('module.queue');
          expect(s.ignored).toContain('module.encoder_q.fc.0.weight');
        }
        const diff = maxAbsDiff(await features(run, input), expected);
        expect({ from, diff, ok: diff <= 1e-4 }).toEqual({ from, diff, ok: true });
      }
      // auto-detection agrees, and a wrong --from is refused naming the file
      expect((await convertCheckpoint({ from: 'auto', input: path.join(dir, 'detectron2.pkl'), out: path.join(dir, 'auto') })).layout).toBe('detectron2');
      await expect(convertCheckpoint({ from: 'detectron2', input: path.join(dir, 'torchvision.pth'), out: path.join(dir, 'x') })).rejects.toThrow(`${path.join(dir, 'torchvision.pth')}: --from detectron2, but its tensor names look like a torchvision checkpoint`);
    }, 300_000);
  }

  it('export: torchvision loads it strictly with the same features; detectron2 .pkl as MoCo writes it; safetensors; round trip', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-export-'));
    runPython(py as string, readFileSync(WRITER, 'utf8'), [dir, 'resnet18', '5']);
    const run = path.join(dir, 'run');
    await convertCheckpoint({ from: 'moco', input: path.join(dir, 'moco.pth.tar'), out: run, size: 64 });
    const input = f32(path.join(dir, 'input.bin'));
    const ours = await features(run, input);
    writeFileSync(path.join(dir, 'ours.bin'), Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength));
    for (const to of ['torchvision', 'moco', 'detectron2', 'safetensors'] as const) {
      const out = path.join(dir, { torchvision: 'export.pth', moco: 'export.moco.pth', detectron2: 'export.pkl', safetensors: 'export.safetensors' }[to]);
      const s = await exportRun({ run, to, out });
      expect(s.tensors).toBe(100); // resnet18: 20 conv weights + 20 BNs x 4
    }
    const report = JSON.parse(
      runPython(
        py as string,
        `
import json, pickle, struct, sys
import numpy as np, torch, torchvision
d = sys.argv[1]
x = torch.from_numpy(np.fromfile(d + '/input.bin', dtype='<f4').reshape(2, 3, 64, 64))
m = torchvision.models.resnet18()
missing = m.load_state_dict(torch.load(d + '/export.pth'), strict=True)
m.eval()
with torch.no_grad():
    f = torch.flatten(torch.nn.Sequential(*list(m.children())[:-1])(x), 1).numpy()
ours = np.fromfile(d + '/ours.bin', dtype='<f4').reshape(f.shape)
mo = torch.load(d + '/export.moco.pth')
q = {k[len('module.encoder_q.'):]: v for k, v in mo['state_dict'].items() if k.startswith('module.encoder_q.')}
m2 = torchvision.models.resnet18(); r2 = m2.load_state_dict(q, strict=False)
with open(d + '/export.pkl', 'rb') as fh: d2 = pickle.load(fh)
with open(d + '/detectron2.pkl', 'rb') as fh: ref = pickle.load(fh)['model']
# detectron2 ignores the BN step counters MoCo's converter carries along; dilo does not write them
ref = {k: v for k, v in ref.items() if not k.startswith('stem.fc.') and not k.endswith('num_batches_tracked')}
same_names = sorted(d2['model'].keys()) == sorted(ref.keys())
max_d2 = max(float(np.abs(d2['model'][k] - ref[k]).max()) for k in ref)
raw = open(d + '/export.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]; hdr = json.loads(raw[8:8 + n])
sd = m.state_dict(); max_st = 0.0
for k, h in hdr.items():
    if k == '__metadata__': continue
    a = np.frombuffer(raw[8 + n + h['data_offsets'][0]: 8 + n + h['data_offsets'][1]], dtype='<f4').reshape(h['shape'])
    max_st = max(max_st, float(np.abs(a - sd[k].numpy()).max()))
print(json.dumps({'strict': str(missing), 'featDiff': float(np.abs(f - ours).max()), 'mocoMissing': sorted(r2.missing_keys), 'mocoUnexpected': len(r2.unexpected_keys),
  'd2Names': same_names, 'd2Diff': max_d2, 'd2Author': d2['__author__'], 'stTensors': len(hdr) - 1, 'stDiff': max_st, 'stMeta': hdr['__metadata__']['dilo.arch']}))
`,
        [dir],
        undefined,
      ).trim().split('\n').pop() as string,
    );
    expect(report).toEqual({
      strict: '<All keys matched successfully>',
      featDiff: expect.any(Number),
      mocoMissing: ['fc.bias', 'fc.weight'],
      mocoUnexpected: 0, // an imported run has no projection head or key encoder to export
      d2Names: true,
      d2Diff: 0,
      d2Author: 'DILO',
      stTensors: 100,
      stDiff: 0,
      stMeta: 'resnet18',
    });
    expect(report.featDiff).toBeLessThanOrEqual(1e-4);
    // round trip: the exported files convert back to the same tensors
    for (const [from, file] of [['torchvision', 'export.pth'], ['moco', 'export.moco.pth'], ['detectron2', 'export.pkl']] as const) {
      const back = path.join(dir, `back-${from}`);
      await convertCheckpoint({ from, input: path.join(dir, file), out: back, size: 64 });
      expect(maxAbsDiff(await features(back, input), ours)).toBe(0);
    }
    const st = await readSafetensors(path.join(dir, 'export.safetensors'));
    expect(st.tensors.size).toBe(100);
  }, 300_000);
});
