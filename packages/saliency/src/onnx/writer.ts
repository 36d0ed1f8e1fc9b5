/**
 * A minimal ONNX (protobuf) writer: a graph of nodes with float initialisers and float
 * inputs/outputs. Enough for dilo's own exports (the saliency network) and for test models,
 * without the onnx Python package or any download.
 */

/** protobuf encoder: a list of byte chunks, so large initialisers are not copied byte by byte */
class Pb {
  private readonly chunks: Uint8Array[] = [];
  private small: number[] = [];
  private length = 0;
  private flush(): void {
    if (this.small.length) {
      this.chunks.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }
  private byte(b: number): void {
    this.small.push(b);
    this.length++;
  }
  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.byte(b);
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
    this.flush();
    this.chunks.push(data);
    this.length += data.length;
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  float32(field: number, v: number): this {
    this.tag(field, 5);
    for (const b of new Uint8Array(new Float32Array([v]).buffer)) this.byte(b);
    return this;
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** integer-list attributes (e.g. Conv kernel_shape) */
  ints?: Record<string, number[]>;
  /** integer attributes (e.g. Concat axis) */
  int?: Record<string, number>;
  /** float attributes (e.g. LeakyRelu alpha) */
  float?: Record<string, number>;
  /** string attributes (e.g. Resize mode) */
  string?: Record<string, string>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  values: number[] | Float32Array;
}

export interface OnnxModelSpec {
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  /** graph inputs and outputs: name and dims (a string is a symbolic dimension like 'N') */
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  opset?: number;
  /** graph name and producer (default dilo) */
  name?: string;
  producer?: string;
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
    // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
    for (const [name, values] of Object.entries(n.ints ?? {})) {
      const attr = new Pb().str(1, name);
      for (const v of values) attr.int(8, v);
      node.msg(5, attr.int(20, 7));
    }
    for (const [name, v] of Object.entries(n.int ?? {})) node.msg(5, new Pb().str(1, name).int(3, v).int(20, 2));
    for (const [name, v] of Object.entries(n.float ?? {})) node.msg(5, new Pb().str(1, name).float32(2, v).int(20, 1));
    for (const [name, v] of Object.entries(n.string ?? {})) node.msg(5, new Pb().str(1, name).str(4, v).int(20, 3));
    graph.msg(1, node);
  });
  graph.str(2, spec.name ?? 'dilo');
  for (const t of spec.initializers) {
    const tensor = new Pb();
    for (const d of t.dims) tensor.int(1, d);
    tensor.int(2, FLOAT).str(8, t.name);
    const f = t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
    tensor.bytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    graph.msg(5, tensor);
  }
  for (const v of spec.inputs) graph.msg(11, valueInfo(v.name, v.dims));
  for (const v of spec.outputs) graph.msg(12, valueInfo(v.name, v.dims));
  return new Pb()
    .int(1, 8) // IR version 8
    .str(2, spec.producer ?? 'dilo')
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
