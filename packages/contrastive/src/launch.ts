/**
 * Process launch for data-parallel pre-training, in torchrun's terms: each process reads RANK,
 * WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT (or Slurm's SLURM_PROCID / SLURM_NTASKS /
 * SLURM_LOCALID), and `--nproc N` on one machine starts N such processes itself. The collectives
 * are PyTorch's c10d (TCPStore + ProcessGroupGloo) through the torch engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { availableParallelism } from 'node:os';
import { createProcessGroup, DiloUsageError, type Collectives } from '@dilo/core';

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

function int(env: NodeJS.ProcessEnv, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = env[n];
    if (v === undefined || v === '') continue;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new DiloUsageError(`${n}=${v} is not a non-negative integer`);
    return x;
  }
  return undefined;
}

/** The distributed environment of this process, or null when it runs alone (no WORLD_SIZE > 1). */
export function distEnvFrom(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  const worldSize = int(env, 'WORLD_SIZE', 'SLURM_NTASKS');
  if (worldSize === undefined || worldSize <= 1) return null;
  const rank = int(env, 'RANK', 'SLURM_PROCID');
  if (rank === undefined || rank >= worldSize) throw new DiloUsageError(`WORLD_SIZE=${worldSize} needs RANK in 0..${worldSize - 1} (got ${rank ?? 'none'})`);
  const localRank = int(env, 'LOCAL_RANK', 'SLURM_LOCALID') ?? rank;
  const masterAddr = env.MASTER_ADDR;
  if (!masterAddr) throw new DiloUsageError('WORLD_SIZE > 1 needs MASTER_ADDR (the host of rank 0)');
  const masterPort = int(env, 'MASTER_PORT') ?? 29500; // torchrun's default
  return { rank, worldSize, localRank, masterAddr, masterPort };
}

/** Join the process group of `e` (rank 0 hosts the rendezvous); collectives fail after timeoutMs. */
export function joinProcessGroup(e: DistEnv, timeoutMs: number): Collectives {
  const loopback = /^(127\.|localhost$|::1$)/.test(e.masterAddr);
  // GLOO_SOCKET_IFNAME is PyTorch's own setting for the interface
  const iface = process.env.GLOO_SOCKET_IFNAME || (loopback ? 'lo' : undefined);
  return createProcessGroup({ rank: e.rank, worldSize: e.worldSize, masterAddr: e.masterAddr, masterPort: e.masterPort, timeoutMs, iface });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface LaunchResult {
  /** exit codes by rank */
  codes: number[];
}

/**
 * Run `argv` (a node script and its arguments) as `nproc` processes on this machine with the
 * torchrun variables set and the cores split between them (DILO_THREADS). Rank 0's output is
 * this process's; the other ranks' stderr is shown with a `[rank r]` prefix. When a process
 * exits non-zero the others are stopped (SIGTERM), so a failure never leaves a group hanging.
 */
export async function launchLocal(argv: string[], nproc: number, opts: { threads?: number } = {}): Promise<LaunchResult> {
  const port = await freePort();
  const threads = Math.max(1, Math.floor((opts.threads ?? (Number(process.env.DILO_THREADS) || availableParallelism())) / nproc));
  const children: ChildProcess[] = [];
  const codes: (number | null)[] = new Array(nproc).fill(null);
  let failed = false;
  const stopOthers = (): void => {
    for (const [r, c] of children.entries()) if (codes[r] === null) c.kill('SIGTERM');
  };
  const onSignal = (): void => stopOthers();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.all(
      Array.from({ length: nproc }, (_, rank) => new Promise<void>((resolve) => {
        const child = spawn(process.execPath, argv, {
          env: { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(nproc), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), DILO_THREADS: String(threads), DILO_LAUNCHED: '1' },
          stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
        });
        children[rank] = child;
        if (rank > 0) {
          let buf = '';
          child.stderr!.on('data', (d: Buffer) => {
            buf += d.toString();
            const lines = buf.split('\n');
            buf = lines.pop() ?? '';
            for (const l of lines) if (l.trim()) process.stderr.write(`[rank ${rank}] ${l}\n`);
          });
        }
        child.on('exit', (code, signal) => {
          codes[rank] = code ?? (signal ? 128 + 15 : 1);
          if (codes[rank] !== 0 && codes[rank] !== 3 && !failed) {
            failed = true;
            stopOthers();
          }
          resolve();
        });
      })),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { codes: codes as number[] };
}
