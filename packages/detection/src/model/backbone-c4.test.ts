import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, selectBackend, tf } from '@dilo/core';
import { initialBackbone } from '../train/init';
import { ResNetC4 } from './backbone-c4';

const PY = '/usr/bin/python3';
const script = path.join(__dirname, '../../scripts/torchvision_to_dckpt.py');
const torchOk = existsSync(PY) && spawnSync(PY, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
if (!torchOk) console.warn('backbone parity with torchvision skipped: /usr/bin/python3 with torch and torchvision is missing');
const maybe = torchOk ? test : test.skip;

// torchvision resnet18 with random BN statistics and affine, in eval mode: layer3's output (res4)
// and layer4's on a second input (res5) must equal (float32: relative 1e-3; a wrong layer gives O(1)) the C4 backbone loaded through imagenet:FILE.
const PROGRAM = `
import sys, json, torch, torchvision, importlib.util
spec = importlib.util.spec_from_file_location('conv', sys.argv[1]); conv = importlib.util.module_from_spec(spec); spec.loader.exec_module(conv)
torch.manual_seed(0)
m = torchvision.models.resnet18().eval()
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 2); mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.2, 0.2)
open(sys.argv[2], 'wb').write(conv.convert(m.state_dict(), 'test'))
x = torch.linspace(-2, 2, 2 * 3 * 48 * 64).reshape(2, 3, 48, 64)
r = torch.sin(torch.arange(2 * 256 * 14 * 14, dtype=torch.float32)).reshape(2, 256, 14, 14)
with torch.no_grad():
    h = m.maxpool(m.relu(m.bn1(m.conv1(x)))); res4 = m.layer3(m.layer2(m.layer1(h))); res5 = m.layer4(r)
json.dump({'res4': res4.permute(0, 2, 3, 1).flatten().tolist(), 'res5': res5.permute(0, 2, 3, 1).flatten().tolist(), 's4': list(res4.shape), 's5': list(res5.shape)}, open(sys.argv[3], 'w'))
`;

maybe('ResNetC4 (frozen BN) equals torchvision resnet18 layer1-3 and layer4 in eval mode, via imagenet:FILE', async () => {
  await selectBackend({ backend: 'wasm', log: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-c4-'));
  try {
    const ck = path.join(dir, 'r18.dckpt');
    const outJson = path.join(dir, 'out.json');
    const r = spawnSync(PY, ['-c', PROGRAM, script, ck, outJson], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const ref = JSON.parse(readFileSync(outJson, 'utf8')) as { res4: number[]; res5: number[]; s4: number[]; s5: number[] };
    const bb = await initialBackbone({ kind: 'imagenet', file: ck }, {});
    expect(bb.config).toEqual({ arch: 'resnet18', width: 1, smallStem: false });
    const c4 = new ResNetC4(bb.config, bb.params!, new Rng(0));
    const x = tf.tidy(() => tf.transpose(tf.reshape(tf.linspace(-2, 2, 2 * 3 * 48 * 64), [2, 3, 48, 64]), [0, 2, 3, 1])) as tf.Tensor4D;
    const roi = tf.tidy(() => tf.transpose(tf.reshape(tf.sin(tf.range(0, 2 * 256 * 14 * 14, 1, "float32")), [2, 256, 14, 14]), [0, 2, 3, 1])) as tf.Tensor4D;
    const res4 = c4.trunk(x);
    const res5 = c4.res5(roi);
    expect(res4.shape).toEqual([ref.s4[0], ref.s4[2], ref.s4[3], ref.s4[1]]);
    expect(res5.shape).toEqual([ref.s5[0], ref.s5[2], ref.s5[3], ref.s5[1]]);
    const maxDiff = (a: ArrayLike<number>, b: number[]) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const scale = (b: number[]) => b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxDiff(res4.dataSync(), ref.res4) / scale(ref.res4)).toBeLessThan(1e-3);
    expect(maxDiff(res5.dataSync(), ref.res5) / scale(ref.res5)).toBeLessThan(1e-3);
    tf.dispose([x, roi, res4, res5]);
    c4.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
