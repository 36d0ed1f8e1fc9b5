/** @dilo/eval: linear probe, kNN, CAM localization, background robustness and reports. */
export * from './features';
export * from './extractor';
export * from './baselines';
export * from './transform';
export * from './extract';
export * from './metrics';
export * from './knn';
