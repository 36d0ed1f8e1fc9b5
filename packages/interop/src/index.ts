/** @dilo/interop: PyTorch checkpoints in and out of dilo, without running code from them. */
export * from './pickle/unpickler';
export * from './pickle/pickler';
export * from './tensor';
export * from './torch-load';
export * from './torch-save';
export * from './layouts';
export * from './safetensors';
export * from './convert';
export * from './export';
export * from './cli';
