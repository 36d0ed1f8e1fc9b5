import { getKernelsForBackend, registerBackend, removeBackend, findBackend } from '@tensorflow/tfjs-core';
// the cpu backend supplies the fallback for kernels the torch backend does not implement
import '@tensorflow/tfjs-backend-cpu';
import * as os from 'node:os';
import { BACKEND_NAME, TorchBackend } from './backend';
import { loadNative, TorchNative } from './native';
import { registerCpuFallbacks } from './kernels/kernel';
import { registerElementwise } from './kernels/elementwise';
import { registerReductions } from './kernels/reduce';
import { registerShapeKernels } from './kernels/shape';
import { registerConvKernels } from './kernels/conv';
import { registerMatMul } from './kernels/matmul';
import { registerBatchNormTrain } from './ops/batch-norm';
import { registerOptimOps } from './ops/optim';
import { setLeanGradients } from './lean-gradients';
import { parseTorchDevice, readBuildInfo, resolveTorchDevice, TorchDevice, TorchDeviceSpec } from './device';

export interface RegisterTorchOptions {
  /** intra-op threads for libtorch (default: env DILO_THREADS, else the number of cores) */
  threads?: number;
  /** tfjs backend priority (default 2: above cpu; core's selectBackend sets the backend explicitly anyway) */
  priority?: number;
  /**
   * free each gradient and saved tensor during the backward pass once used, as PyTorch does
   * (default true, env DILO_LEAN_GRADIENTS=0 turns it off); see lean-gradients.ts
   */
  leanGradients?: boolean;
  /** where tensors live: cpu, cuda, cuda:N or auto (default: env DILO_DEVICE, else cpu); see device.ts */
  device?: TorchDeviceSpec;
}

let registered = false;
let reason: string | null = null;
let device: TorchDevice = 'cpu';

/** The device the torch backend's tensors live on (resolved at registerTorchBackend). */
export function torchDevice(): TorchDevice {
  return device;
}

function defaultThreads(): number {
  const t = Number(process.env.DILO_THREADS);
  if (Number.isInteger(t) && t > 0) return t;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Register the 'torch' tfjs backend and its kernels. Returns false when the native addon
 * cannot be loaded; torchBackendReason() then says why. Idempotent.
 */
export function registerTorchBackend(opts: RegisterTorchOptions = {}): boolean {
  const loaded = loadNative();
  if (!loaded.native) {
    reason = loaded.error;
    return false;
  }
  const native: TorchNative = loaded.native;
  // a device this build cannot serve is an error here, never a silent cpu run
  device = resolveTorchDevice(opts.device ?? parseTorchDevice(process.env.DILO_DEVICE ?? 'cpu'), readBuildInfo());
  native.SetNumThreads(opts.threads ?? defaultThreads());
  setLeanGradients(opts.leanGradients ?? process.env.DILO_LEAN_GRADIENTS !== '0');
  if (registered) return true;
  registerElementwise();
  registerReductions();
  registerShapeKernels();
  registerConvKernels();
  registerMatMul();
  registerBatchNormTrain();
  registerOptimOps();
  registerCpuFallbacks(getKernelsForBackend('cpu').map((k) => k.kernelName));
  if (findBackend(BACKEND_NAME)) removeBackend(BACKEND_NAME);
  registerBackend(BACKEND_NAME, () => new TorchBackend(native), opts.priority ?? 2);
  registered = true;
  reason = null;
  return true;
}

/** Why registerTorchBackend() returned false (null when it succeeded or was not called). */
export function torchBackendReason(): string | null {
  return reason;
}

/** libtorch's intra-op thread count now in use. */
export function torchThreads(): number {
  const loaded = loadNative();
  return loaded.native ? loaded.native.GetNumThreads() : 0;
}

/** Change libtorch's intra-op thread count. */
export function setTorchThreads(n: number): void {
  const loaded = loadNative();
  if (!loaded.native) throw new Error(`the torch backend is unavailable: ${loaded.error}`);
  loaded.native.SetNumThreads(n);
}
