import { util } from '@tensorflow/tfjs-core';
import { REDUCE } from '../native';
import { register } from './kernel';

export function registerReductions(): void {
  const axisAttr: Record<string, string> = { Max: 'reductionIndices' };
  for (const name of ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'Any', 'All'] as const) {
    register(name, ({ inputs, backend, attrs }) => {
      const x = inputs.x!;
      const axes = util.parseAxisParam(attrs[axisAttr[name] ?? 'axis'] as number | number[], x.shape);
      return backend.output(backend.native.Reduce(REDUCE[name], backend.handle(x), axes, Boolean(attrs.keepDims)));
    });
  }
  for (const name of ['ArgMax', 'ArgMin'] as const) {
    register(name, ({ inputs, backend, attrs }) => {
      const x = inputs.x!;
      const axes = util.parseAxisParam(attrs.axis as number, x.shape);
      return backend.output(backend.native.Reduce(REDUCE[name], backend.handle(x), axes, false));
    });
  }
  register('Softmax', ({ inputs, backend, attrs }) => {
    const x = inputs.logits!;
    const dim = (attrs.dim as number) < 0 ? x.shape.length + (attrs.dim as number) : (attrs.dim as number);
    return backend.output(backend.native.Softmax(backend.handle(x), dim));
  });
}
