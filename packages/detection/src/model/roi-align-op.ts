import { tf } from '@dilo/core';
import { roiAlign, roiAlignGrad, type RoiAlignOptions } from './roi-align';

/**
 * ROI Align as a tfjs op with a gradient for the feature map (tfjs has none for cropAndResize):
 * the forward and backward are the plain-TypeScript torchvision-equivalent kernels of roi-align.ts,
 * run on the host. rois [R * 5] = (batch index, x0, y0, x1, y1) are constants (no box gradient,
 * as in detectron2, where proposals are detached).
 */
export function roiAlignOp(features: tf.Tensor4D, rois: ArrayLike<number>, o: RoiAlignOptions): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const shape = { n, h, w, c };
  const R = rois.length / 5;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const value = tf.tensor4d(Float32Array.from(roiAlign(x.dataSync(), shape, rois, o)), [R, o.outH, o.outW, c]);
    const gradFunc = (dy: tf.Tensor) => tf.tensor4d(Float32Array.from(roiAlignGrad(dy.dataSync(), shape, rois, o)), [n, h, w, c]);
    return { value, gradFunc };
  });
  return op(features) as tf.Tensor4D;
}

/** detectron2's C4 box pooler: 14x14 output, ROIAlignV2 (aligned), adaptive sampling. */
export function c4PoolerOptions(featureStride: number): RoiAlignOptions {
  return { outH: 14, outW: 14, spatialScale: 1 / featureStride, samplingRatio: 0, aligned: true };
}
