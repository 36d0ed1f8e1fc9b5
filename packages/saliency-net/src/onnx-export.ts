import { tf } from '@dilo/core';
import { BN_EPS, toTorchLayout } from '@dilo/contrastive';
import { encodeOnnxModel, type OnnxInitializer, type OnnxNode } from '@dilo/saliency';
import type { UNet } from './unet';

/**
 * The U-Net in inference mode as an ONNX graph (opset 13): input `image` NCHW float
 * (normalised RGB), outputs `saliency` (sigmoid, [N, 1, H, W]) and `logits`. Each BN is folded
 * into the conv before it (w * gamma / sqrt(var + eps), beta - mean * gamma / sqrt(var + eps)),
 * so the graph is Conv, Relu, MaxPool, ConvTranspose, Concat and Sigmoid only: any ONNX runtime
 * reads it, and `dilo saliency --method onnx` / `net:RUN` run it through onnxruntime.
 */
export function unetToOnnx(net: UNet): Uint8Array {
  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  const P = net.params;
  const torchValues = (name: string): { dims: number[]; values: Float32Array } => {
    const e = P.params.get(name)!;
    const t = toTorchLayout(e.kind, e.variable);
    const out = { dims: t.shape, values: t.dataSync() as Float32Array };
    t.dispose();
    return out;
  };
  const convBn = (conv: string, bn: string, input: string, output: string): void => {
    const w = torchValues(`${conv}.weight`);
    const [gamma, beta, mean, variance] = [P.param(`${bn}.weight`), P.param(`${bn}.bias`), P.buffer(`${bn}.running_mean`), P.buffer(`${bn}.running_var`)].map((v) => v.dataSync() as Float32Array);
    const cout = w.dims[0];
    const per = w.values.length / cout;
    const fw = new Float32Array(w.values.length);
    const fb = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
      for (let i = 0; i < per; i++) fw[o * per + i] = w.values[o * per + i] * s;
      fb[o] = beta[o] - mean[o] * s;
    }
    inits.push({ name: `${conv}.weight`, dims: w.dims, values: fw }, { name: `${conv}.bias`, dims: [cout], values: fb });
    nodes.push({ op: 'Conv', inputs: [input, `${conv}.weight`, `${conv}.bias`], outputs: [`${conv}.out`], ints: { kernel_shape: [w.dims[2], w.dims[3]], pads: [(w.dims[2] - 1) / 2, (w.dims[3] - 1) / 2, (w.dims[2] - 1) / 2, (w.dims[3] - 1) / 2] } });
    nodes.push({ op: 'Relu', inputs: [`${conv}.out`], outputs: [output] });
  };
  const block = (name: string, input: string): string => {
    convBn(`${name}.0`, `${name}.1`, input, `${name}.a`);
    convBn(`${name}.3`, `${name}.4`, `${name}.a`, `${name}.out`);
    return `${name}.out`;
  };
  const levels = net.config.levels;
  const skips: string[] = [];
  let y = 'image';
  for (let l = 0; l < levels; l++) {
    if (l > 0) {
      nodes.push({ op: 'MaxPool', inputs: [y], outputs: [`pool${l}`], ints: { kernel_shape: [2, 2], strides: [2, 2] } });
      y = `pool${l}`;
    }
    y = block(`enc${l + 1}`, y);
    skips.push(y);
  }
  for (let l = levels - 2; l >= 0; l--) {
    const up = `up${l + 1}`;
    const w = torchValues(`${up}.weight`);
    const b = torchValues(`${up}.bias`);
    inits.push({ name: `${up}.weight`, ...w }, { name: `${up}.bias`, ...b });
    nodes.push({ op: 'ConvTranspose', inputs: [y, `${up}.weight`, `${up}.bias`], outputs: [`${up}.out`], ints: { kernel_shape: [2, 2], strides: [2, 2] } });
    nodes.push({ op: 'Concat', inputs: [skips[l], `${up}.out`], outputs: [`${up}.cat`], int: { axis: 1 } });
    y = block(`dec${l + 1}`, `${up}.cat`);
  }
  const hw = torchValues('head.weight');
  const hb = torchValues('head.bias');
  inits.push({ name: 'head.weight', ...hw }, { name: 'head.bias', ...hb });
  nodes.push({ op: 'Conv', inputs: [y, 'head.weight', 'head.bias'], outputs: ['logits'], ints: { kernel_shape: [1, 1] } });
  nodes.push({ op: 'Sigmoid', inputs: ['logits'], outputs: ['saliency'] });
  return encodeOnnxModel({
    name: 'dilo_saliency_unet',
    nodes,
    initializers: inits,
    inputs: [{ name: 'image', dims: ['N', 3, 'H', 'W'] }],
    outputs: [
      { name: 'saliency', dims: ['N', 1, 'H', 'W'] },
      { name: 'logits', dims: ['N', 1, 'H', 'W'] },
    ],
  });
}

/** tfjs inference of the same network on NHWC input, for checking the export */
export function unetInference(net: UNet, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sigmoid(net.forward(x, { training: false })));
}
