// The device the torch backend's tensors live on: 'cpu', 'cuda', 'cuda:N' or 'auto'
// (env DILO_DEVICE, or registerTorchBackend({ device })). Resolved once, at backend init.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type TorchDeviceSpec = 'cpu' | 'cuda' | `cuda:${number}` | 'auto';
export type TorchDevice = 'cpu' | `cuda:${number}`;

/** What scripts/build.js linked against (build/Release/torch-info.json). */
export interface TorchBuildInfo {
  lib: string;
  version: string;
  cuda: boolean;
}

export function parseTorchDevice(s: string): TorchDeviceSpec {
  if (s === 'cpu' || s === 'cuda' || s === 'auto' || /^cuda:\d+$/.test(s)) return s as TorchDeviceSpec;
  throw new Error(`device '${s}': expected cpu, cuda, cuda:N or auto`);
}

export function readBuildInfo(root = path.join(__dirname, '..')): TorchBuildInfo | null {
  const f = path.join(root, 'build', 'Release', 'torch-info.json');
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as TorchBuildInfo) : null;
}

/**
 * Resolve a device spec against the build. 'auto' falls back to cpu with one logged line.
 * CUDA device tensors are not implemented yet (issue #14 item 2): on a CUDA build 'cuda'
 * fails saying so rather than running on the CPU.
 */
export function resolveTorchDevice(spec: TorchDeviceSpec, build: TorchBuildInfo | null, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): TorchDevice {
  if (spec === 'cpu') return 'cpu';
  const where = build ? `${build.lib}, libtorch ${build.version}` : 'unknown libtorch';
  if (spec === 'auto') {
    log(build?.cuda ? `torch backend: device auto -> cpu (CUDA device tensors are not implemented yet; ${where})` : `torch backend: device auto -> cpu (this libtorch has no CUDA: ${where})`);
    return 'cpu';
  }
  if (!build?.cuda) {
    throw new Error(`device ${spec}: this libtorch (${where}) has no CUDA; build against a CUDA PyTorch: DILO_PYTHON=<python with a CUDA torch> node packages/engine-torch/scripts/build.js (or LIBTORCH=<CUDA libtorch>)`);
  }
  throw new Error(`device ${spec}: CUDA device tensors are not implemented yet in @dilo/engine-torch (${where}); use --device cpu`);
}
