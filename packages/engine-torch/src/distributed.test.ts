import * as tf from '@tensorflow/tfjs-core';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { addonPath } from './native';
import { c10dError, ProcessGroup } from './distributed';
import { torchAvailable } from './test-util';

// Two real processes on Gloo over loopback, driving the addon's c10d functions directly.
const WORKER = `
const n = require(process.env.ADDON);
const rank = +process.env.RANK, world = +process.env.WORLD_SIZE;
const pg = n.PgCreate(rank, world, '127.0.0.1', +process.env.MASTER_PORT, +process.env.TIMEOUT_MS, 'lo');
const f = (a, s) => n.FromArray(Float32Array.from(a), s, 0);
if (process.env.DIE_RANK === String(rank)) process.exit(3);
const [a, b] = n.PgAllReduce(pg, [f([1 + rank, 2], [2]), f([10 * rank, 1, 1, 1], [2, 2])], 0.5);
const g = n.PgAllGather(pg, f([rank, rank], [1, 2]));
const [w] = n.PgBroadcast(pg, [f([rank + 7], [1])], 0);
// two all-reduces in flight at once (slots 0 and 1), finished out of order
const x1 = f([rank + 1, 3], [2]), x2 = f([rank * 4, 1, 2], [3]);
const p1 = n.PgAllReduceStart(pg, [x1], 1, 0);
const p2 = n.PgAllReduceStart(pg, [x2], 0.5, 1);
const r2 = n.PgAllReduceFinish(pg, p2, [x2], [false]);
const r1 = n.PgAllReduceFinish(pg, p1, [x1], [true]);
let again = '';
try { n.PgAllReduceFinish(pg, p1, [x1], [true]); } catch (e) { again = e.message; }
n.PgBarrier(pg);
console.log(JSON.stringify({ a: [...n.ToArray(a)], b: [...n.ToArray(b)], bShape: n.Info(b).slice(1), g: [...n.ToArray(g)], w: [...n.ToArray(w)],
  x1: [...n.ToArray(x1)], r1Overwrote: r1[0] === undefined, x2: [...n.ToArray(x2)], r2: [...n.ToArray(r2[0])], again }));
n.PgDestroy(pg);
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

type Result = { rank: number; code: number | null; out: string; err: string; ms: number };

async function runGroup(world: number, extra: Record<string, string> = {}): Promise<Result[]> {
  const port = await freePort();
  const t0 = Date.now();
  return Promise.all(
    Array.from({ length: world }, (_, rank) => new Promise<Result>((resolve) => {
      const p = spawn(process.execPath, ['-e', WORKER], {
        env: { ...process.env, ADDON: addonPath(), RANK: String(rank), WORLD_SIZE: String(world), MASTER_PORT: String(port), TIMEOUT_MS: '5000', ...extra },
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => resolve({ rank, code, out, err, ms: Date.now() - t0 }));
    })),
  );
}

const ok = torchAvailable(); // skips visibly without the addon, fails under CI=true
const maybe = ok ? it : it.skip;

describe('c10d ProcessGroupGloo (native/c10d.cc)', () => {
  maybe('all-reduces (scaled, one bucket, shapes kept; started and finished later, two in flight, in place or not), all-gathers in rank order and broadcasts from rank 0 across 2 processes', async () => {
    const rs = await runGroup(2);
    for (const r of rs) {
      expect({ rank: r.rank, code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ rank: r.rank, code: 0, err: '' });
      const v = JSON.parse(r.out.trim().split('\n').pop()!);
      expect(v.a).toEqual([(1 + 2) * 0.5, (2 + 2) * 0.5]);
      expect(v.b).toEqual([5, 1, 1, 1]);
      expect(v.bShape).toEqual([2, 2]);
      expect(v.g).toEqual([0, 0, 1, 1]);
      expect(v.w).toEqual([7]);
      // in place where allowed, a new tensor where not (the input then untouched)
      expect(v.x1).toEqual([1 + 2, 6]);
      expect(v.r1Overwrote).toBe(true);
      expect(v.x2).toEqual([r.rank * 4, 1, 2]);
      expect(v.r2).toEqual([2, 1, 2]);
      expect(v.again).toMatch(/already finished/);
    }
  }, 30000);

  maybe('a peer that dies makes the survivor fail with a c10d error within the timeout, not hang', async () => {
    const rs = await runGroup(2, { DIE_RANK: '1' });
    expect(rs[1].code).toBe(3);
    expect(rs[0].code).not.toBe(0);
    expect(rs[0].err).toMatch(/c10d allreduce failed|Connection closed|timed out/i);
    expect(rs[0].ms).toBeLessThan(20000);
  }, 30000);
});

describe('ProcessGroup (tfjs tensors in and out)', () => {
  maybe('world size 1: bucketed all-reduce keeps shapes and order, gather and broadcast are identities', async () => {
    await tf.setBackend('torch');
    const pg = new ProcessGroup({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort(), timeoutMs: 5000, iface: 'lo' });
    const xs = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([5, 6, 7]), tf.tensor1d([8])];
    // 12-byte buckets: [x0] (16 bytes, alone), [x1, x2] would be 16 bytes -> [x1], [x2]
    const ys = pg.allReduceBucketed(xs, 0.5, 12);
    expect(ys.map((y) => y.shape)).toEqual([[2, 2], [3], [1]]);
    expect(ys.map((y) => Array.from(y.dataSync()))).toEqual([[0.5, 1, 1.5, 2], [2.5, 3, 3.5], [4]]);
    expect(Array.from(pg.allGather(xs[1]).dataSync())).toEqual([5, 6, 7]);
    expect(Array.from(pg.broadcast([xs[2]])[0].dataSync())).toEqual([8]);
    pg.barrier();
    pg.destroy();
    expect(() => pg.barrier()).toThrow(/after destroy/);
  }, 30000);

  maybe('in-place all-reduce overwrites sole-owner tensors through the reused buffer; shared, non-contiguous and int tensors get new ones', async () => {
    await tf.setBackend('torch');
    const pg = new ProcessGroup({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: await freePort(), timeoutMs: 5000, iface: 'lo' });
    const own = tf.tensor2d([[1, 2], [3, 4]]);
    const base = tf.tensor1d([5, 6, 7]);
    const alias = tf.reshape(base, [3, 1]); // shares base's memory: must not be overwritten
    const strided = tf.transpose(tf.tensor2d([[1, 2, 3], [4, 5, 6]])); // a view in libtorch, not contiguous
    const ints = tf.tensor1d([2, 4], 'int32');
    for (let round = 0; round < 2; round++) {
      // twice: the second call reuses the group's buffer
      const xs = [tf.mul(own, 1), alias, strided, ints]; // a fresh result: nobody else holds it
      const shared = tf.clone(xs[0]); // tfjs clone: same memory, so not overwritten
      const ys2 = pg.allReduceInPlace([shared], 0.5);
      expect(ys2[0]).not.toBe(shared);
      expect(Array.from(shared.dataSync())).toEqual([1, 2, 3, 4]);
      tf.dispose([shared, ...ys2]);
      const ys = pg.allReduceInPlace(xs, 0.5);
      expect(ys[0]).toBe(xs[0]);
      expect(Array.from(ys[0].dataSync())).toEqual([0.5, 1, 1.5, 2]);
      expect(ys[1]).not.toBe(alias);
      expect(Array.from(ys[1].dataSync())).toEqual([2.5, 3, 3.5]);
      expect(ys[1].shape).toEqual([3, 1]);
      expect(Array.from(base.dataSync())).toEqual([5, 6, 7]);
      expect(Array.from(ys[2].dataSync())).toEqual([0.5, 2, 1, 2.5, 1.5, 3]);
      expect(ys[2].shape).toEqual([3, 2]);
      expect(Array.from(ys[3].dataSync())).toEqual([1, 2]);
      tf.dispose([xs[0], ...ys.slice(1)]);
    }
    pg.destroy();
  }, 30000);
});

describe('c10dError', () => {
  it('keeps the message on one line and drops the C++ backtrace', () => {
    const native = new Error('c10d allreduce failed (a peer died or timed out): [gloo/transport/tcp/pair.cc:598] Connection closed by peer [127.0.0.1]:4242\nException raised from recvBytes at ./torch/csrc/distributed/c10d/Utils.hpp:594 (most recent call first):\nframe #0: c10::Error::Error(...) + 0x9e\nframe #1: ...');
    expect(c10dError(native).message).toBe('c10d allreduce failed (a peer died or timed out): [gloo/transport/tcp/pair.cc:598] Connection closed by peer [127.0.0.1]:4242');
    expect(c10dError(new Error('Socket Timeout\nException raised from recvBytes at x:1\nframe #0: y')).message).toMatch(/rendezvous timed out .*not every process joined/);
  });
});
