/** @dilo/eval: linear probe, kNN, CAM localization, background robustness and reports. */
export * from './features';
export * from './extractor';
export * from './baselines';
export * from './transform';
export * from './extract';
export * from './metrics';
export * from './knn';
export * from './softmax';
export * from './lbfgs';
export * from './split';
export * from './standardize';
export * from './probe-fast';
export * from './probe-moco';
export * from './probe-moco-images';
export * from './random-resized-crop';
