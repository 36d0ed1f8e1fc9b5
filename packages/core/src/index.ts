/** @dilo/core: what every dilo stage shares. */
export * from './errors';
export * from './skip-report';
export * from './bad-inputs';
export * from './screen';
export * from './atomic';
export * from './image';
export * from './dataset';
export * from './rng';
export * from './shared-data';
export * from './backend';
export * from './cache';
export * from './progress';
export * from './synth/shapes';
export * from './synth/backgrounds';
export * from './synth/generate';
export * from './wasm-threads';
export * from './native-addon';
