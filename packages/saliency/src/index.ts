/** @dilo/saliency: superpixels, unsupervised saliency estimators, ONNX models, salient-object metrics, batch job. */
export * from './superpixel/slic';
export * from './superpixel/graph';
export * from './util/color';
export * from './util/map';
export * from './util/linalg';
export * from './util/shortest-paths';
export * from './estimator';
export * from './methods/rbd';
export * from './methods/gs';
export * from './methods/mc';
export * from './metrics/fmeasure';
export * from './metrics/region';
export * from './metrics/evaluator';
