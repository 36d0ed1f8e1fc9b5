/**
 * A pickle writer for the few shapes dilo exports: dicts of tensors (torch.save) and of numpy
 * arrays (detectron2 .pkl). It writes opcodes directly; Python's pickle and torch.load read them.
 */
export class PickleWriter {
  private readonly parts: Buffer[] = [];
  private memoCount = 0;

  constructor(protocol = 2) {
    this.raw(Buffer.from([0x80, protocol]));
  }

  private raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  op(code: number): this {
    return this.raw(Buffer.from([code]));
  }

  mark(): this {
    return this.op(0x28);
  }

  global(module: string, name: string): this {
    return this.raw(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(b.length, 1);
    return this.raw(h).raw(b);
  }

  bytes(b: Uint8Array): this {
    const h = Buffer.alloc(5);
    h[0] = 0x42; // BINBYTES (protocol 3)
    h.writeUInt32LE(b.length, 1);
    return this.raw(h).raw(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }

  int(v: number): this {
    if (!Number.isInteger(v)) throw new RangeError(`not an integer: ${v}`);
    if (v >= 0 && v < 256) return this.raw(Buffer.from([0x4b, v]));
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(v, 1);
      return this.raw(b);
    }
    const b = Buffer.alloc(10);
    b[0] = 0x8a; // LONG1, 8 bytes
    b[1] = 8;
    b.writeBigInt64LE(BigInt(v), 2);
    return this.raw(b);
  }

  bool(v: boolean): this {
    return this.op(v ? 0x88 : 0x89);
  }

  none(): this {
    return this.op(0x4e);
  }

  /** TUPLE of the values pushed since the last mark */
  tuple(): this {
    return this.op(0x74);
  }

  emptyTuple(): this {
    return this.op(0x29);
  }

  intTuple(v: readonly number[]): this {
    this.mark();
    for (const x of v) this.int(x);
    return this.tuple();
  }

  emptyDict(): this {
    return this.op(0x7d);
  }

  reduce(): this {
    return this.op(0x52);
  }

  build(): this {
    return this.op(0x62);
  }

  setItems(): this {
    return this.op(0x75);
  }

  binPersId(): this {
    return this.op(0x51);
  }

  /** keep the top of the stack in the memo (Python does; harmless, and keeps the stream familiar) */
  put(): this {
    const n = this.memoCount++;
    if (n < 256) return this.raw(Buffer.from([0x71, n]));
    const b = Buffer.alloc(5);
    b[0] = 0x72;
    b.writeUInt32LE(n, 1);
    return this.raw(b);
  }

  finish(): Buffer {
    this.op(0x2e);
    return Buffer.concat(this.parts);
  }
}
