import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers all of them
// into the shared global registry (measured: getGradient('Conv2D') is undefined before).
import '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import * as os from 'node:os';
import { withWasmThreads } from './wasm-threads';

export { tf };

/** Tensor backends, fastest first. */
export type BackendName = 'tensorflow' | 'torch' | 'wasm' | 'cpu';
/** tfjs-node(-gpu) if installed, then libtorch through @dilo/engine-torch's addon, then wasm, then cpu. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'torch', 'wasm', 'cpu'];

export interface BackendChoice {
  backend: BackendName;
  /** the npm package that provided it */
  provider: string;
  threads: number;
  /** backends tried before this one, with why they were not used */
  skipped: { backend: BackendName; reason: string }[];
}

export interface SelectBackendOptions {
  /** 'auto' (default) or a backend name; env DILO_BACKEND overrides when this is 'auto' */
  backend?: BackendName | 'auto';
  /** threads for wasm/cpu work (default: env DILO_THREADS, else the number of cores) */
  threads?: number;
  /** log the choice on stderr (default true) */
  log?: boolean;
  /** for tests: how a package is loaded */
  load?: (pkg: string) => unknown;
}

/** Packages that provide the native TensorFlow backend, in order of preference. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * The backends to try, in order. An explicit choice is tried alone (failing loudly);
 * 'auto' tries tensorflow, then wasm, then cpu.
 */
export function backendCandidates(requested: BackendName | 'auto' | undefined, env: NodeJS.ProcessEnv = process.env): BackendName[] {
  let r = requested ?? 'auto';
  if (r === 'auto' && env.DILO_BACKEND) r = env.DILO_BACKEND as BackendName;
  if (r === 'auto') return [...BACKEND_ORDER];
  if (!BACKEND_ORDER.includes(r)) throw new Error(`unknown backend '${r}' (expected one of ${BACKEND_ORDER.join(', ')}, or auto)`);
  return [r];
}

export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const t = Number(env.DILO_THREADS);
  if (Number.isInteger(t) && t > 0) return t;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The folder holding tfjs-backend-wasm's .wasm files, resolved from the installed package (no network). */
export function wasmDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
}

let current: BackendChoice | null = null;

/** Select, initialise and log the tensor backend. Idempotent for the same request. */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendChoice> {
  const candidates = backendCandidates(opts.backend);
  if (current && candidates.includes(current.backend) && opts.threads === undefined) return current;
  const load = opts.load ?? ((p: string) => require(p));
  const threads = opts.threads ?? defaultThreads();
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    try {
      const provider = await initBackend(name, threads, load);
      current = { backend: name, provider, threads: name === 'torch' ? (load('@dilo/engine-torch') as typeof import('@dilo/engine-torch')).torchThreads() : name === 'wasm' ? (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : name === 'cpu' ? 1 : threads, skipped };
      if (opts.log !== false) {
        const why = skipped.length ? ` (skipped: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})` : '';
        process.stderr.write(`dilo: tensor backend ${current.backend} via ${provider}, ${current.threads} thread(s)${why}\n`);
      }
      return current;
    } catch (err) {
      skipped.push({ backend: name, reason: firstLine(err) });
      if (candidates.length === 1) throw new Error(`backend '${name}' is not available: ${firstLine(err)}`);
    }
  }
  throw new Error(`no tensor backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** wasm threads: what was asked for, at least 1 (see wasm-threads.ts for how they are enabled). */
function wasmThreads(requested: number): number {
  return Math.max(1, Math.floor(requested));
}

async function initBackend(name: BackendName, threads: number, load: (p: string) => unknown): Promise<string> {
  if (name === 'tensorflow') {
    const errors: string[] = [];
    for (const pkg of TENSORFLOW_PACKAGES) {
      try {
        load(pkg); // registers the 'tensorflow' backend as a side effect
        if (!tf.findBackend('tensorflow')) throw new Error('package loaded but registered no tensorflow backend');
        await setOrThrow('tensorflow');
        return pkg;
      } catch (err) {
        errors.push(`${pkg}: ${firstLine(err)}`);
      }
    }
    throw new Error(errors.join(' / '));
  }
  if (name === 'torch') {
    const m = load('@dilo/engine-torch') as typeof import('@dilo/engine-torch');
    if (!m.registerTorchBackend({ threads })) throw new Error(m.torchBackendReason() ?? 'unavailable');
    await setOrThrow('torch');
    return '@dilo/engine-torch';
  }
  if (name === 'wasm') {
    const wasm = load('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    if (typeof wasm?.setWasmPaths !== 'function') throw new Error('tfjs-backend-wasm has no setWasmPaths');
    {
      const dir = wasmDir() + path.sep;
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': dir + 'tfjs-backend-wasm.wasm',
        'tfjs-backend-wasm-simd.wasm': dir + 'tfjs-backend-wasm-simd.wasm',
        'tfjs-backend-wasm-threaded-simd.wasm': dir + 'tfjs-backend-wasm-threaded-simd.wasm',
      });
      const n = wasmThreads(threads);
      if (n > 1) {
        try {
          await withWasmThreads(n, () => setOrThrow('wasm'));
        } catch (err) {
          throw new Error(`multi-threaded wasm failed to start (${firstLine(err)}); set DILO_THREADS=1 to run single-threaded`);
        }
      } else await setOrThrow('wasm');
    }
    return '@tensorflow/tfjs-backend-wasm';
  }
  load('@tensorflow/tfjs-backend-cpu');
  await setOrThrow('cpu');
  return '@tensorflow/tfjs-backend-cpu';
}

async function setOrThrow(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0];
}

/** The torch engine's fused operations (see @dilo/engine-torch). */
export type TorchOps = Pick<typeof import('@dilo/engine-torch'), 'batchNormTrain' | 'scaleShift' | 'sgdMomentumUpdate' | 'lerpUpdate'>;
/** The torch engine's training-mode batch norm, optionally fused with a residual add and a ReLU. */
export type FusedBatchNormTrain = TorchOps['batchNormTrain'];

/**
 * The torch engine's fused operations while torch is the active backend, else undefined:
 * PyTorch's own BN kernels (one call forward, one backward), the SGD-with-momentum update and
 * lerp (MoCo's key-encoder update) as single native calls, in place where the memory is not
 * shared. Callers fall back to plain tfjs ops.
 */
export function torchOps(): TorchOps | undefined {
  if (tf.getBackend() !== 'torch') return undefined;
  return require('@dilo/engine-torch') as typeof import('@dilo/engine-torch');
}

/** torchOps()?.batchNormTrain */
export function fusedBatchNormTrain(): FusedBatchNormTrain | undefined {
  return torchOps()?.batchNormTrain;
}

/** A c10d process group (Gloo) of the torch engine: what data-parallel training needs of it. */
export type Collectives = Pick<import('@dilo/engine-torch').ProcessGroup, 'rank' | 'worldSize' | 'allReduce' | 'allReduceBucketed' | 'allReduceInPlace' | 'allReduceStart' | 'allGather' | 'broadcast' | 'barrier' | 'destroy'>;

/**
 * Join a c10d process group (PyTorch's TCPStore rendezvous + ProcessGroupGloo) through the torch
 * engine; needs the torch backend active.
 */
export function createProcessGroup(o: { rank: number; worldSize: number; masterAddr: string; masterPort: number; timeoutMs: number; iface?: string }): Collectives {
  if (tf.getBackend() !== 'torch') throw new Error(`data-parallel training runs on PyTorch's c10d through the torch backend (active: ${tf.getBackend()}); use --backend torch`);
  const { ProcessGroup } = require('@dilo/engine-torch') as typeof import('@dilo/engine-torch');
  return new ProcessGroup(o);
}
