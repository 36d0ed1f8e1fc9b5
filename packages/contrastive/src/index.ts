/** @dilo/contrastive: MoCo v1/v2 pre-training with ResNet backbones on tfjs. */
export * from './params';
export * from './batchnorm';
export * from './resnet';
export * from './infonce';
export * from './queue';
export * from './sgd';
export * from './moco';
export * from './wasm-kernels';
export * from './views';
export * from './checkpoint';
export * from './pretrain';
export * from './features';
export * from './knn';
export * from './augment-source';
export * from './command';
export * from './launch';
