import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTorchFile, parseTorchFile } from './torch-load';
import { encodeTorchZip } from './torch-save';
import { PyDict } from './pickle/unpickler';
import { TorchTensor } from './tensor';
import { runPython, torchPython } from '../test/python-peer';

const py = torchPython();
const maybe = py ? it : it.skip;
if (!py) it('needs a Python with torch (skipped: none found; CI requires one)', () => undefined);

function tensorAt(v: unknown, key: string): TorchTensor {
  const t = (v as PyDict).get(key);
  if (!(t instanceof TorchTensor)) throw new Error(`${key} is not a tensor`);
  return t;
}

describe('torch.save files read without running them', () => {
  maybe('zip and legacy containers, every storage dtype, non-contiguous views and nested dicts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-pth-'));
    runPython(
      py as string,
      `
import torch, sys, collections
d = sys.argv[1]
base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7
obj = {'epoch': 3, 'arch': 'resnet50', 'state_dict': collections.OrderedDict([
  ('f32', base), ('f16', base.half()), ('bf16', base.bfloat16()), ('i64', torch.tensor([1, -2, 3 ** 14])),
  ('f64', base.double()), ('i32', torch.tensor([7, -8], dtype=torch.int32)),
  ('t', base.transpose(0, 2)), ('sl', base[:, 1, 1:3]), ('p', torch.nn.Parameter(torch.ones(2))),
  ('scalar', torch.tensor(2.5))])}
torch.save(obj, d + '/zip.pth')
torch.save(obj, d + '/legacy.pth.tar', _use_new_zipfile_serialization=False)
`,
      [dir],
    );
    const base = Float32Array.from({ length: 24 }, (_, i) => i / 7);
    for (const f of ['zip.pth', 'legacy.pth.tar']) {
      const { container, value } = await loadTorchFile(path.join(dir, f));
      expect(container).toBe(f === 'zip.pth' ? 'zip' : 'legacy');
      const top = value as PyDict;
      expect(top.get('epoch')).toBe(3);
      expect(top.get('arch')).toBe('resnet50');
      const sd = top.get('state_dict') as PyDict;
      expect(sd.ordered).toBe(true);
      expect([...sd.map.keys()]).toEqual(['f32', 'f16', 'bf16', 'i64', 'f64', 'i32', 't', 'sl', 'p', 'scalar']);
      const f32 = tensorAt(sd, 'f32');
      expect(f32.shape).toEqual([2, 3, 4]);
      expect(Array.from(f32.toFloat32(f))).toEqual(Array.from(base));
      expect(Array.from(tensorAt(sd, 'f64').toFloat32(f))).toEqual(Array.from(base));
      const half = tensorAt(sd, 'f16').toFloat32(f);
      base.forEach((v, i) => expect(Math.abs(half[i] - v)).toBeLessThan(1e-3 * Math.max(1, v)));
      const bf = tensorAt(sd, 'bf16').toFloat32(f);
      base.forEach((v, i) => expect(Math.abs(bf[i] - v)).toBeLessThan(1e-2 * Math.max(1, v)));
      expect(Array.from(tensorAt(sd, 'i64').toFloat32(f))).toEqual([1, -2, 3 ** 14]);
      expect(Array.from(tensorAt(sd, 'i32').toFloat32(f))).toEqual([7, -8]);
      // base.transpose(0, 2)[i][j][k] = base[k][j][i]
      const t = tensorAt(sd, 't');
      expect(t.shape).toEqual([4, 3, 2]);
      const tv = t.toFloat32(f);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) expect(tv[(i * 3 + j) * 2 + k]).toBe(base[(k * 3 + j) * 4 + i]);
      expect(Array.from(tensorAt(sd, 'sl').toFloat32(f))).toEqual([base[5], base[6], base[17], base[18]]);
      expect(Array.from(tensorAt(sd, 'p').toFloat32(f))).toEqual([1, 1]);
      const s = tensorAt(sd, 'scalar');
      expect(s.shape).toEqual([]);
      expect(Array.from(s.toFloat32(f))).toEqual([2.5]);
    }
  });

  maybe('a malicious pickle is refused, names the global, and runs nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-evil-'));
    const marker = path.join(dir, 'PWNED');
    runPython(
      py as string,
      `
import torch, pickle, sys, os
d, marker = sys.argv[1], sys.argv[2]
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + marker,))
torch.save({'state_dict': {'w': torch.ones(1)}, 'x': Evil()}, d + '/evil.pth')
torch.save({'x': Evil()}, d + '/evil-legacy.pth', _use_new_zipfile_serialization=False)
with open(d + '/evil.pkl', 'wb') as f: pickle.dump({'model': Evil()}, f)
class EvalIt:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch " + marker + "')",))
with open(d + '/eval.pkl', 'wb') as f: pickle.dump(EvalIt(), f, protocol=2)
`,
      [dir, marker],
    );
    expect(existsSync(marker)).toBe(false); // writing them ran nothing either
    const refusals: string[] = [];
    for (const f of ['evil.pth', 'evil-legacy.pth', 'evil.pkl', 'eval.pkl']) {
      const file = path.join(dir, f);
      await expect(loadTorchFile(file)).rejects.toThrow(`${file}: refused pickle global`);
      refusals.push(await loadTorchFile(file).then(() => '', (e: Error) => e.message));
    }
    expect(refusals[0]).toMatch(/refused pickle global posix\.system \(only tensors/);
    expect(refusals[3]).toMatch(/refused pickle global (__builtin__|builtins)\.eval/);
    expect(existsSync(marker)).toBe(false);
  });

  maybe('what dilo writes, torch.load reads (weights_only) with the same values', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-save-'));
    const w = Float32Array.from({ length: 6 }, (_, i) => i * 0.25 - 1);
    const bytes = encodeTorchZip({
      ordered: false,
      entries: [
        ['state_dict', { ordered: true, entries: [['conv.weight', { dtype: 'float32', shape: [2, 3, 1, 1], data: w }], ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.of(5n) }]] }],
        ['arch', 'resnet18'],
        ['epoch', 200],
      ],
    });
    writeFileSync(path.join(dir, 'out.pth'), bytes);
    const out = runPython(
      py as string,
      `
import torch, sys, json
o = torch.load(sys.argv[1], weights_only=True) if 'weights_only' in torch.load.__code__.co_varnames else torch.load(sys.argv[1])
sd = o['state_dict']
print(json.dumps({'keys': list(sd.keys()), 'w': sd['conv.weight'].flatten().tolist(), 'shape': list(sd['conv.weight'].shape),
  'n': int(sd['bn.num_batches_tracked']), 'dtype': str(sd['bn.num_batches_tracked'].dtype), 'arch': o['arch'], 'epoch': o['epoch'], 'ordered': type(sd).__name__}))
`,
      [path.join(dir, 'out.pth')],
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    expect(r).toEqual({ keys: ['conv.weight', 'bn.num_batches_tracked'], w: Array.from(w), shape: [2, 3, 1, 1], n: 5, dtype: 'torch.int64', arch: 'resnet18', epoch: 200, ordered: 'OrderedDict' });
    // and dilo reads its own file back
    const back = parseTorchFile(new Uint8Array(readFileSync(path.join(dir, 'out.pth'))), 'out.pth');
    expect(Array.from(tensorAt((back.value as PyDict).get('state_dict'), 'conv.weight').toFloat32('out.pth'))).toEqual(Array.from(w));
  });

  it('bad files get one clear error naming the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-bad-pth-'));
    const good = encodeTorchZip({ ordered: true, entries: [['w', { dtype: 'float32', shape: [4], data: new Float32Array(4) }]] });
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty.pth', new Uint8Array(0), /empty file/],
      ['text.pth', Buffer.from('<html>not a checkpoint</html>'), /not a PyTorch checkpoint or pickle \(starts with "<html>no"\)/],
      ['truncated.pth', good.subarray(0, Math.floor(good.length / 2)), /not a readable zip archive|truncated/],
      ['cut.pkl', Uint8Array.of(0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0xff, 0, 0, 0), /truncated pickle/],
      ['garbage.pkl', Uint8Array.of(0x80, 0x02, 0xff), /unknown pickle opcode 0xff/],
    ];
    for (const [name, bytes, re] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      await expect(loadTorchFile(file)).rejects.toThrow(re);
      await expect(loadTorchFile(file)).rejects.toThrow(file);
    }
    await expect(loadTorchFile(path.join(dir, 'missing.pth'))).rejects.toThrow(/missing\.pth: cannot read \(ENOENT\)/);
  });
});
