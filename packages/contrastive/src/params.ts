import { tf } from '@dilo/core';

/**
 * How a parameter is laid out in tfjs (internal) and in the checkpoint (torch layout), so
 * checkpoints read like a torchvision state_dict:
 * - conv: internal [kh, kw, in, out] (tfjs NHWC conv), saved [out, in, kh, kw]
 * - linear: internal [in, out] (x @ W), saved [out, in]
 * - vector: the same both ways (BN gamma/beta, biases, running stats)
 */
export type ParamKind = 'conv' | 'linear' | 'vector';

export interface ParamEntry {
  name: string;
  kind: ParamKind;
  variable: tf.Variable;
}

/**
 * Named parameters (trainable) and buffers (BN running statistics) of one network, in
 * insertion order, with torchvision-style names such as `layer1.0.conv1.weight`.
 */
export class ParamMap {
  readonly params = new Map<string, ParamEntry>();
  readonly buffers = new Map<string, ParamEntry>();
  /**
   * How a forward pass reads a parameter (`read`): null reads the variable itself; data-parallel
   * training puts a gradient hook here for one step (GradientReducer).
   */
  reader: ((name: string, v: tf.Variable) => tf.Tensor) | null = null;

  addParam(name: string, kind: ParamKind, value: tf.Tensor): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const variable = tf.variable(value, true, `${uniquePrefix()}${name}`);
    value.dispose();
    this.params.set(name, { name, kind, variable });
    return variable;
  }

  addBuffer(name: string, value: tf.Tensor): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`duplicate buffer name ${name}`);
    const variable = tf.variable(value, false, `${uniquePrefix()}${name}`);
    value.dispose();
    this.buffers.set(name, { name, kind: 'vector', variable });
    return variable;
  }

  param(name: string): tf.Variable {
    const e = this.params.get(name);
    if (!e) throw new Error(`no parameter named ${name}`);
    return e.variable;
  }

  /** The parameter as a forward pass reads it: the variable, or what `reader` makes of it. */
  read(name: string): tf.Tensor {
    const v = this.param(name);
    return this.reader ? this.reader(name, v) : v;
  }

  buffer(name: string): tf.Variable {
    const e = this.buffers.get(name);
    if (!e) throw new Error(`no buffer named ${name}`);
    return e.variable;
  }

  /** trainable variables, in order */
  trainable(): tf.Variable[] {
    return [...this.params.values()].map((e) => e.variable);
  }

  /** number of trainable scalars */
  count(): number {
    let n = 0;
    for (const e of this.params.values()) n += e.variable.size;
    return n;
  }

  dispose(): void {
    for (const e of [...this.params.values(), ...this.buffers.values()]) e.variable.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}

// tfjs variable names are global: two networks with the same layer names need distinct prefixes
let counter = 0;
function uniquePrefix(): string {
  return `p${counter++}/`;
}

/** Internal (tfjs) layout to torch layout, as a new tensor. */
export function toTorchLayout(kind: ParamKind, t: tf.Tensor): tf.Tensor {
  if (kind === 'conv') return tf.transpose(t, [3, 2, 0, 1]);
  if (kind === 'linear') return tf.transpose(t, [1, 0]);
  return t.clone();
}

/** Torch layout shape to internal layout, for the data of one saved tensor. */
export function fromTorchLayout(kind: ParamKind, data: Float32Array, torchShape: number[]): tf.Tensor {
  const t = tf.tensor(data, torchShape, 'float32');
  if (kind === 'vector') return t;
  const out = kind === 'conv' ? tf.transpose(t, [2, 3, 1, 0]) : tf.transpose(t, [1, 0]);
  t.dispose();
  return out;
}

/** The shape a parameter has in torch layout. */
export function torchShape(kind: ParamKind, internal: readonly number[]): number[] {
  if (kind === 'conv') return [internal[3], internal[2], internal[0], internal[1]];
  if (kind === 'linear') return [internal[1], internal[0]];
  return [...internal];
}
