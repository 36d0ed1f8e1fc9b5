export { registerTorchBackend, torchBackendReason, torchThreads, setTorchThreads } from './register';
export type { RegisterTorchOptions } from './register';
export { TorchBackend, BACKEND_NAME } from './backend';
export { fallbackStats, NATIVE_KERNELS } from './kernels/kernel';
export { addonPath } from './native';
