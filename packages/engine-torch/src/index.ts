export { registerTorchBackend, torchBackendReason, torchThreads, setTorchThreads } from './register';
export type { RegisterTorchOptions } from './register';
export { TorchBackend, BACKEND_NAME } from './backend';
export { fallbackStats, NATIVE_KERNELS } from './kernels/kernel';
export { addonPath } from './native';
export { batchNormTrain, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './ops/batch-norm';
export type { BatchNormTrainOptions, BatchNormTrainResult } from './ops/batch-norm';
export { setLeanGradients, leanGradientsEnabled } from './lean-gradients';
