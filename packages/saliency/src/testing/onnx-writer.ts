/**
 * A minimal ONNX (protobuf) writer, enough to build small test models without any download:
 * a graph of nodes with float initialisers and NCHW float inputs/outputs.
 */

class Pb {
  private readonly parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.parts.push(b);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.parts.push(b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** integer-list attributes (e.g. Conv kernel_shape) */
  ints?: Record<string, number[]>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  values: number[];
}

export interface OnnxModelSpec {
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  /** graph inputs and outputs: name and dims (a string is a symbolic dimension like 'N') */
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  opset?: number;
}

const FLOAT = 1;

function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, FLOAT).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

/** Serialise a model (ModelProto) to bytes. */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const graph = new Pb();
  spec.nodes.forEach((n, i) => {
    const node = new Pb();
    for (const s of n.inputs) node.str(1, s);
    for (const s of n.outputs) node.str(2, s);
    node.str(3, `${n.op}_${i}`).str(4, n.op);
    for (const [name, values] of Object.entries(n.ints ?? {})) {
      const attr = new Pb().str(1, name);
      for (const v of values) attr.int(8, v);
      attr.int(20, 7); // AttributeType INTS
      node.msg(5, attr);
    }
    graph.msg(1, node);
  });
  graph.str(2, 'dilo_test_graph');
  for (const t of spec.initializers) {
    const tensor = new Pb();
    for (const d of t.dims) tensor.int(1, d);
    tensor.int(2, FLOAT).str(8, t.name);
    const raw = new Uint8Array(new Float32Array(t.values).buffer);
    tensor.bytes(9, raw);
    graph.msg(5, tensor);
  }
  for (const v of spec.inputs) graph.msg(11, valueInfo(v.name, v.dims));
  for (const v of spec.outputs) graph.msg(12, valueInfo(v.name, v.dims));
  return new Pb()
    .int(1, 8) // IR version 8
    .str(2, 'dilo-test')
    .msg(7, graph)
    .msg(8, new Pb().str(1, '').int(2, spec.opset ?? 13))
    .finish();
}

/**
 * A saliency-like test model: a 1x1 convolution with the given RGB weights (output 0: its
 * sigmoid, output 1: the raw response), so the expected map is computable by hand.
 */
export function tinySaliencyModel(weights: [number, number, number], bias = 0): Uint8Array {
  return encodeOnnxModel({
    nodes: [
      { op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['logits'], ints: { kernel_shape: [1, 1] } },
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['prob'] },
    ],
    initializers: [
      { name: 'w', dims: [1, 3, 1, 1], values: weights },
      { name: 'b', dims: [1], values: [bias] },
    ],
    inputs: [{ name: 'image', dims: ['N', 3, 'H', 'W'] }],
    outputs: [
      { name: 'prob', dims: ['N', 1, 'H', 'W'] },
      { name: 'logits', dims: ['N', 1, 'H', 'W'] },
    ],
  });
}
