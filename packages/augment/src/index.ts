/** @dilo/augment: DiLo copy-paste background augmentation and the MoCo v1/v2 two-view pipeline. */
export * from './config';
export * from './view-plan';
export * from './view-renderer';
export * from './two-view';
export * from './batch';
export * from './loader';
export * from './samples';
export * from './transforms/random-resized-crop';
export * from './transforms/resample';
export * from './transforms/color-jitter';
export * from './transforms/box-blur';
export * from './transforms/copy-paste';
export * from './transforms/normalize';
export * from './fast-decode';
export * from './preview';
export { nativeViewKernels, viewKernelKind, type ViewKernels } from './native';
export { augmentCommand } from './cli/augment-command';
