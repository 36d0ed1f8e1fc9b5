import { BINARY } from '../native';
import { applyActivation } from './elementwise';
import { free, register } from './kernel';

export function registerMatMul(): void {
  register('BatchMatMul', ({ inputs, backend, attrs }) =>
    backend.output(backend.native.MatMul(backend.handle(inputs.a!), backend.handle(inputs.b!), Boolean(attrs.transposeA), Boolean(attrs.transposeB))));
  register('_FusedMatMul', ({ inputs, backend, attrs }) => {
    const n = backend.native;
    let y = n.MatMul(backend.handle(inputs.a!), backend.handle(inputs.b!), Boolean(attrs.transposeA), Boolean(attrs.transposeB));
    if (inputs.bias) {
      const y2 = n.Binary(BINARY.Add, y, backend.handle(inputs.bias));
      free(backend, y);
      y = y2;
    }
    const prelu = inputs.preluActivationWeights ? backend.handle(inputs.preluActivationWeights) : undefined;
    return backend.output(applyActivation(backend, y, attrs.activation as string, prelu, attrs.leakyreluAlpha as number));
  });
}
