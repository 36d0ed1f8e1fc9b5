/** @dilo/saliency-net: a label-free deep saliency network (U-Net on pseudo-masks), trained on tfjs, exported to ONNX. */
export * from './unet';
export * from './loss';
export * from './pseudo-set';
export * from './student-noise';
export * from './onnx-export';
export * from './train';
export * from './command';
