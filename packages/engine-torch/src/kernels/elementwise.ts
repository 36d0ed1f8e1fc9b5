import { BINARY, DTYPE_CODE, Handle, UNARY } from '../native';
import { TorchBackend } from '../backend';
import { free, register } from './kernel';

export function registerElementwise(): void {
  for (const [name, code] of Object.entries(UNARY)) {
    if (name === 'Step' || name === 'LeakyRelu') continue;
    register(name, ({ inputs, backend }) => backend.output(backend.native.Unary(code, backend.handle(inputs.x!))));
  }
  register('Step', ({ inputs, backend, attrs }) => backend.output(backend.native.Unary(UNARY.Step, backend.handle(inputs.x!), attrs.alpha as number)));
  register('LeakyRelu', ({ inputs, backend, attrs }) => backend.output(backend.native.Unary(UNARY.LeakyRelu, backend.handle(inputs.x!), attrs.alpha as number)));

  for (const [name, code] of Object.entries(BINARY)) {
    const [a, b] = name === 'EluGrad' ? ['dy', 'y'] : name === 'Prelu' ? ['x', 'alpha'] : ['a', 'b'];
    register(name, ({ inputs, backend }) => backend.output(backend.native.Binary(code, backend.handle(inputs[a]!), backend.handle(inputs[b]!))));
  }

  register('AddN', ({ inputs, backend }) => {
    const hs = Object.values(inputs).map((t) => backend.handle(t!));
    return backend.output(hs.length === 1 ? backend.native.Unary(UNARY.Identity, hs[0]) : backend.native.AddN(hs));
  });

  register('Cast', ({ inputs, backend, attrs }) => {
    const dtype = attrs.dtype as string;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') return null;
    return backend.output(backend.native.Cast(backend.handle(inputs.x!), DTYPE_CODE[dtype]));
  });

  register('ClipByValue', ({ inputs, backend, attrs }) =>
    backend.output(backend.native.Clip(backend.handle(inputs.x!), attrs.clipValueMin as number, attrs.clipValueMax as number)));

  // tfjs' where() broadcasts condition, t and e to one shape before the kernel
  register('Select', ({ inputs, backend }) =>
    backend.output(backend.native.Where(backend.handle(inputs.condition!), backend.handle(inputs.t!), backend.handle(inputs.e!))));

  register('Fill', ({ backend, attrs }) => {
    const dtype = attrs.dtype as string;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') return null;
    return backend.output(backend.native.Fill(attrs.shape as number[], Number(attrs.value), DTYPE_CODE[dtype]));
  });
  register('ZerosLike', ({ inputs, backend }) => backend.output(backend.native.FillLike(backend.handle(inputs.x!), 0)));
  register('OnesLike', ({ inputs, backend }) => backend.output(backend.native.FillLike(backend.handle(inputs.x!), 1)));

  register('FusedBatchNorm', ({ inputs, backend, attrs }) => {
    const opt = (k: string) => (inputs[k] ? backend.handle(inputs[k]!) : undefined);
    return backend.output(
      backend.native.BatchNorm(backend.handle(inputs.x!), backend.handle(inputs.mean!), backend.handle(inputs.variance!), opt('scale'), opt('offset'), (attrs.varianceEpsilon as number) ?? 0.001),
    );
  });
}

/** Apply a fused kernel's activation to a fresh native result, freeing the input. */
export function applyActivation(backend: TorchBackend, h: Handle, activation: string | undefined, prelu: Handle | undefined, alpha: number | undefined): Handle {
  const n = backend.native;
  let out: Handle;
  switch (activation ?? 'linear') {
    case 'linear': return h;
    case 'relu': out = n.Unary(UNARY.Relu, h); break;
    case 'relu6': out = n.Unary(UNARY.Relu6, h); break;
    case 'elu': out = n.Unary(UNARY.Elu, h); break;
    case 'sigmoid': out = n.Unary(UNARY.Sigmoid, h); break;
    case 'leakyrelu': out = n.Unary(UNARY.LeakyRelu, h, alpha ?? 0.2); break;
    case 'prelu': out = n.Binary(BINARY.Prelu, h, prelu!); break;
    default: throw new Error(`torch backend: unknown fused activation '${activation}'`);
  }
  free(backend, h);
  return out;
}
