import { getKernel, KernelFunc, NamedAttrMap, registerKernel, TensorInfo, engine, KernelBackend } from '@tensorflow/tfjs-core';
import { BACKEND_NAME, TorchBackend } from '../backend';
import { Handle } from '../native';

export type Inputs = Record<string, TensorInfo | undefined>;
export interface KernelArgs {
  inputs: Inputs;
  backend: TorchBackend;
  attrs: NamedAttrMap;
}
/** A torch kernel; returning null hands the call to the cpu backend's kernel (unsupported variant). */
export type TorchKernel = (args: KernelArgs) => TensorInfo | TensorInfo[] | null;

/** Kernel names implemented natively, for tests and diagnostics. */
export const NATIVE_KERNELS = new Set<string>();
const fallbackCounts = new Map<string, number>();

/** How often each kernel ran through the cpu fallback (copying data out and back in). */
export function fallbackStats(): Record<string, number> {
  return Object.fromEntries(fallbackCounts);
}

export function register(name: string, fn: TorchKernel): void {
  NATIVE_KERNELS.add(name);
  const kernelFunc = (args: { inputs: unknown; backend: unknown; attrs?: NamedAttrMap }) => {
    const r = fn({ inputs: args.inputs as Inputs, backend: args.backend as TorchBackend, attrs: args.attrs ?? {} });
    return r ?? runOnCpu(name, args.inputs as Inputs, args.attrs ?? {}, args.backend as TorchBackend);
  };
  registerKernel({ kernelName: name, backendName: BACKEND_NAME, kernelFunc: kernelFunc as unknown as KernelFunc });
}

/**
 * Register every cpu kernel that has no torch implementation as a copy-out, run-on-cpu,
 * copy-in kernel, so any tfjs program runs (slowly for those kernels) on the torch backend.
 */
export function registerCpuFallbacks(cpuKernelNames: string[]): void {
  for (const name of cpuKernelNames) {
    if (NATIVE_KERNELS.has(name) || getKernel(name, BACKEND_NAME)) continue;
    const kernelFunc = (args: { inputs: unknown; backend: unknown; attrs?: NamedAttrMap }) =>
      runOnCpu(name, args.inputs as Inputs, args.attrs ?? {}, args.backend as TorchBackend);
    registerKernel({ kernelName: name, backendName: BACKEND_NAME, kernelFunc: kernelFunc as unknown as KernelFunc });
  }
}

function cpuBackend(): KernelBackend {
  const b = engine().findBackend('cpu');
  if (!b) throw new Error('the cpu backend is not registered (import @tensorflow/tfjs-backend-cpu)');
  return b;
}

export function runOnCpu(name: string, inputs: Inputs, attrs: NamedAttrMap, backend: TorchBackend): TensorInfo | TensorInfo[] {
  const kernel = getKernel(name, 'cpu');
  if (!kernel) throw new Error(`kernel '${name}' is implemented neither for torch nor for cpu`);
  fallbackCounts.set(name, (fallbackCounts.get(name) ?? 0) + 1);
  const cpu = cpuBackend();
  const made = new Set<object>();
  const cpuInputs: Record<string, TensorInfo> | TensorInfo[] = Array.isArray(inputs) ? [] : {};
  for (const [k, t] of Object.entries(inputs)) {
    if (t == null) continue;
    const dataId = cpu.write(backend.readSync(t.dataId), t.shape, t.dtype);
    made.add(dataId);
    (cpuInputs as Record<string, TensorInfo>)[k] = { dataId, shape: t.shape, dtype: t.dtype };
  }
  try {
    const out = kernel.kernelFunc({ inputs: cpuInputs as never, attrs, backend: cpu });
    const outs = Array.isArray(out) ? out : [out];
    const res = outs.map((o) => {
      made.add(o.dataId);
      const values = cpu.readSync(o.dataId);
      return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
    });
    return Array.isArray(out) ? res : res[0];
  } finally {
    for (const id of made) cpu.disposeData(id, true);
  }
}

/** Dispose native temporaries that never became tensors. */
export function free(backend: TorchBackend, ...hs: Handle[]): void {
  for (const h of hs) backend.native.Dispose(h);
}
