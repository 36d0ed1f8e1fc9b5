/**
 * A pickle interpreter that only builds data: the opcodes of protocols 0-5, and a fixed set of
 * globals (what torch.load(weights_only=True) allows and numpy's array reconstruction), each
 * implemented here in TypeScript. Any other global (os.system, builtins.eval, a class) is refused
 * with the file and the global named: nothing from the file is ever called or imported.
 */
import { DiloInputError } from '@dilo/core';

/** A Python value as the interpreter builds it. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyObject;

/** Python tuples are kept apart from lists (torch sizes and persistent ids are tuples). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict and OrderedDict: string or number keys, insertion order kept. */
export class PyDict {
  readonly map = new Map<string | number, PyValue>();
  constructor(readonly ordered = false) {}
  set(k: PyValue, v: PyValue): void {
    if (typeof k === 'bigint') k = Number(k);
    if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError(`unsupported dict key type ${describe(k)}`);
    this.map.set(k, v);
  }
  get(k: string | number): PyValue | undefined {
    return this.map.get(k);
  }
}

/** An object an allowed global built (a tensor, a storage, a numpy array...), defined by the caller. */
export interface PyObject {
  readonly pyClass: string;
  /** BUILD opcode: apply a state (numpy arrays and dtypes take theirs this way) */
  setState?(state: PyValue): void;
}

/** An allowed global: called by REDUCE / NEWOBJ with its arguments. */
export type PyCallable = (args: PyValue[]) => PyValue;

export interface UnpickleOptions {
  /** module.name -> implementation; everything else is refused */
  globals: ReadonlyMap<string, PyCallable>;
  /** BINPERSID / PERSID: torch's storage references */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** the file, for error messages */
  file: string;
}

export interface UnpickleResult {
  value: PyValue;
  /** bytes consumed (legacy torch files hold several pickles back to back) */
  end: number;
}


/** A global looked up but not yet called (torch passes storage classes as values, e.g. in persistent ids). */
export class GlobalRef implements PyObject {
  readonly pyClass: string;
  constructor(
    readonly name: string,
    readonly fn: PyCallable,
  ) {
    this.pyClass = `global ${name}`;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object' && v && 'pyClass' in v) return (v as PyObject).pyClass;
  return typeof v;
}

export const REFUSED_HINT = 'only tensors, storages, OrderedDict, numpy arrays and plain values are allowed';

/** Interpret one pickle starting at `start`. */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions, start = 0): UnpickleResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (msg: string): never => {
    throw new DiloInputError(opts.file, msg);
  };
  let pos = start;
  const need = (n: number): void => {
    if (pos + n > buf.length) fail(`truncated pickle (needs ${n} more bytes at offset ${pos})`);
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`absurd length ${v} in pickle`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('truncated pickle (unterminated text line)');
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('malformed pickle (stack underflow)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('malformed pickle (empty stack)');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    if (!marks.length) fail('malformed pickle (no MARK)');
    const m = marks.pop() as number;
    return stack.splice(m) as PyValue[];
  };
  const lookup = (module: string, name: string): GlobalRef => {
    const key = `${module}.${name}`;
    const fn = opts.globals.get(key);
    if (!fn) fail(`refused pickle global ${key} (${REFUSED_HINT})`);
    return new GlobalRef(key, fn as PyCallable);
  };
  const call = (callable: unknown, args: unknown): PyValue => {
    if (!(callable instanceof GlobalRef)) fail(`malformed pickle (call of a ${describe(callable)}, not an allowed global)`);
    if (!(args instanceof PyTuple)) fail(`malformed pickle (arguments of ${(callable as GlobalRef).name} are not a tuple)`);
    try {
      return (callable as GlobalRef).fn((args as PyTuple).items);
    } catch (err) {
      if (err instanceof DiloInputError) throw err;
      return fail(`${(callable as GlobalRef).name}: ${(err as Error).message}`);
    }
  };
  const setItems = (d: unknown, items: PyValue[]): void => {
    if (!(d instanceof PyDict)) fail(`malformed pickle (SETITEM on a ${describe(d)})`);
    if (items.length % 2) fail('malformed pickle (odd SETITEMS)');
    for (let i = 0; i < items.length; i += 2) (d as PyDict).set(items[i], items[i + 1]);
  };
  const append = (l: unknown, items: PyValue[]): void => {
    if (!Array.isArray(l)) fail(`malformed pickle (APPEND to a ${describe(l)})`);
    (l as PyValue[]).push(...items);
  };
  const persistent = (pid: unknown): PyValue => {
    if (!opts.persistentLoad) fail('pickle refers to external storage but this file type has none');
    return (opts.persistentLoad as (p: PyValue) => PyValue)(pid as PyValue);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`malformed pickle (${stack.length} values on the stack at STOP)`);
        return { value: stack[0] as PyValue, end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x8f: // EMPTY_SET (kept as a list)
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop() as PyValue]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop() as PyValue, b as PyValue]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop() as PyValue, b as PyValue, c as PyValue]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v as PyValue]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k as PyValue, v as PyValue]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFrom(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('malformed pickle (negative LONG4 length)');
        stack.push(longFrom(bytes(n)));
        break;
      }
      case 0x49: {
        // INT (protocol 0): also True/False as 01/00
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntOrFail(s, fail));
        break;
      }
      case 0x4c: // LONG (protocol 0)
        stack.push(parseIntOrFail(line().replace(/L$/, ''), fail));
        break;
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x46: {
        // FLOAT (protocol 0)
        const v = Number(line());
        if (Number.isNaN(v)) fail('malformed pickle (FLOAT)');
        stack.push(v);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(u64())));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape; ASCII is enough for keys)
        stack.push(line());
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()));
        break;
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str: bytes, read as latin1 text as Python 3 does with encoding='latin1')
        stack.push(Buffer.from(bytes(i32())).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(bytes(u8())).toString('latin1'));
        break;
      case 0x53: {
        // STRING (protocol 0, quoted)
        const s = line();
        stack.push(s.slice(1, -1));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(parseIntOrFail(line(), fail), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : parseIntOrFail(line(), fail);
        if (!memo.has(k)) fail(`malformed pickle (memo ${k} unset)`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(lookup(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('malformed pickle (STACK_GLOBAL needs two strings)');
        stack.push(lookup(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX (kwargs ignored only when empty)
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof PyDict) || kwargs.map.size) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict && state instanceof PyDict) {
          for (const [k, v] of state.map) obj.map.set(k, v);
        } else if (obj && typeof obj === 'object' && 'pyClass' in obj && typeof (obj as PyObject).setState === 'function') {
          (obj as PyObject).setState!(state as PyValue);
        } else if (obj && typeof obj === 'object' && 'pyClass' in obj) {
          // attributes of an allowed object (e.g. a tensor's python attributes): not needed, dropped
        } else {
          fail(`malformed pickle (BUILD on a ${describe(obj)})`);
        }
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail('out-of-band pickle buffers are not supported');
        break;
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        fail(`refused pickle opcode 0x${op.toString(16)} at offset ${at} (class instantiation; ${REFUSED_HINT})`);
        break;
      default:
        fail(`not a pickle, or an unknown pickle opcode 0x${op.toString(16)} at offset ${at}`);
    }
  }
}

function parseIntOrFail(s: string, fail: (m: string) => never): number {
  const v = Number(s);
  if (!Number.isInteger(v)) fail(`malformed pickle (integer ${JSON.stringify(s)})`);
  return v;
}
