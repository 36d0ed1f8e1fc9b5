import { backend_util, NamedAttrMap } from '@tensorflow/tfjs-core';
import { BINARY } from '../native';
import { TorchBackend } from '../backend';
import { applyActivation, } from './elementwise';
import { free, Inputs, register } from './kernel';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

function pads(info: backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [p.top, p.bottom, p.left, p.right];
}

function convInfo(xShape: number[], filterShape: number[], attrs: NamedAttrMap, depthwise: boolean): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as Shape4, filterShape as Shape4, attrs.strides as [number, number], (attrs.dilations as [number, number]) ?? 1,
    attrs.pad as Pad, attrs.dimRoundingMode as 'floor' | undefined, depthwise,
  );
}

const nhwc = (attrs: NamedAttrMap) => attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC';

function conv(inputs: Inputs, backend: TorchBackend, attrs: NamedAttrMap, depthwise: boolean, fused: boolean) {
  if (!nhwc(attrs)) return null;
  const x = inputs.x!;
  const f = inputs.filter!;
  const info = convInfo(x.shape, f.shape, attrs, depthwise);
  const n = backend.native;
  const bias = fused ? inputs.bias : undefined;
  // a per-channel bias goes into the convolution itself; other shapes are added after
  const biasInConv = bias && bias.shape.length === 1 && bias.shape[0] === info.outChannels;
  let y = n.Conv2D(backend.handle(x), backend.handle(f), [info.strideHeight, info.strideWidth], [info.dilationHeight, info.dilationWidth], pads(info), depthwise,
    biasInConv ? backend.handle(bias) : undefined);
  if (bias && !biasInConv) {
    const y2 = n.Binary(BINARY.Add, y, backend.handle(bias));
    free(backend, y);
    y = y2;
  }
  if (fused) {
    const prelu = inputs.preluActivationWeights ? backend.handle(inputs.preluActivationWeights) : undefined;
    y = applyActivation(backend, y, attrs.activation as string, prelu, attrs.leakyreluAlpha as number);
  }
  return backend.output(y);
}

function backpropInput(inputs: Inputs, backend: TorchBackend, attrs: NamedAttrMap, depthwise: boolean) {
  if (!nhwc(attrs)) return null;
  const dy = inputs.dy!;
  const f = inputs.filter!;
  const inShape = attrs.inputShape as number[];
  const info = convInfo(inShape, f.shape, attrs, depthwise);
  return backend.output(
    backend.native.Conv2DBackpropInput(backend.handle(dy), backend.handle(f), inShape, [info.strideHeight, info.strideWidth], [info.dilationHeight, info.dilationWidth], pads(info), depthwise),
  );
}

function backpropFilter(inputs: Inputs, backend: TorchBackend, attrs: NamedAttrMap, depthwise: boolean) {
  if (!nhwc(attrs)) return null;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const fShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, fShape, attrs, depthwise);
  return backend.output(
    backend.native.Conv2DBackpropFilter(backend.handle(x), backend.handle(dy), fShape, [info.strideHeight, info.strideWidth], [info.dilationHeight, info.dilationWidth], pads(info), depthwise),
  );
}

/** Kernel name of both convolution gradients in one call (torch backend only; see conv-backprop.ts). */
export const CONV2D_BACKPROP = 'DiloConv2DBackprop';

function backpropBoth(inputs: Inputs, backend: TorchBackend, attrs: NamedAttrMap) {
  if (!nhwc(attrs)) throw new Error(`${CONV2D_BACKPROP}: NHWC only (dataFormat ${String(attrs.dataFormat)})`);
  const x = inputs.x!;
  const f = inputs.filter!;
  const info = convInfo(x.shape, f.shape, attrs, false);
  return backend.native
    .Conv2DBackprop(backend.handle(x), backend.handle(inputs.dy!), backend.handle(f), [info.strideHeight, info.strideWidth], [info.dilationHeight, info.dilationWidth], pads(info), false)
    .map((h) => backend.output(h));
}

function poolInfo(xShape: number[], attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(xShape as Shape4, attrs.filterSize as [number, number], attrs.strides as [number, number], 1, attrs.pad as Pad, attrs.dimRoundingMode as 'floor' | undefined);
}

export function registerConvKernels(): void {
  register('Conv2D', ({ inputs, backend, attrs }) => conv(inputs, backend, attrs, false, false));
  register('FusedConv2D', ({ inputs, backend, attrs }) => conv(inputs, backend, attrs, false, true));
  register('DepthwiseConv2dNative', ({ inputs, backend, attrs }) => conv(inputs, backend, attrs, true, false));
  register('FusedDepthwiseConv2D', ({ inputs, backend, attrs }) => conv(inputs, backend, attrs, true, true));
  register('Conv2DBackpropInput', ({ inputs, backend, attrs }) => backpropInput(inputs, backend, attrs, false));
  register('DepthwiseConv2dNativeBackpropInput', ({ inputs, backend, attrs }) => backpropInput(inputs, backend, attrs, true));
  register('Conv2DBackpropFilter', ({ inputs, backend, attrs }) => backpropFilter(inputs, backend, attrs, false));
  register(CONV2D_BACKPROP, ({ inputs, backend, attrs }) => backpropBoth(inputs, backend, attrs));
  register('DepthwiseConv2dNativeBackpropFilter', ({ inputs, backend, attrs }) => backpropFilter(inputs, backend, attrs, true));

  register('MaxPool', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const info = poolInfo(x.shape, attrs);
    return backend.output(backend.native.MaxPool(backend.handle(x), [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], pads(info)));
  });
  register('MaxPoolGrad', ({ inputs, backend, attrs }) => {
    const x = inputs.input!;
    const info = poolInfo(x.shape, attrs);
    return backend.output(
      backend.native.MaxPoolGrad(backend.handle(inputs.dy!), backend.handle(x), backend.handle(inputs.output!), [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], pads(info)),
    );
  });
  register('AvgPool', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const info = poolInfo(x.shape, attrs);
    const p = pads(info);
    if (p[0] !== p[1] || p[2] !== p[3]) return null;
    return backend.output(backend.native.AvgPool(backend.handle(x), [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], p));
  });
  register('AvgPoolGrad', ({ inputs, backend, attrs }) => {
    const x = inputs.input!;
    const info = poolInfo(x.shape, attrs);
    const p = pads(info);
    if (p[0] !== p[1] || p[2] !== p[3]) return null;
    return backend.output(backend.native.AvgPoolGrad(backend.handle(inputs.dy!), backend.handle(x), [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], p));
  });
}
