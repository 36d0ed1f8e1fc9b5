import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerReply } from './compute';

/**
 * The compiled worker script. Worker threads cannot load TypeScript, so even when this module runs
 * from sources (tests) the worker comes from the package's dist/ build.
 */
export function defaultWorkerScript(): string {
  return __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/batch/worker.js') : path.join(__dirname, 'worker.js');
}

interface Pending {
  resolve: (png: Uint8Array) => void;
  reject: (err: Error & { inputError?: boolean }) => void;
}

/** A fixed set of worker threads, each with one task in flight. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; name: string; bytes: Uint8Array }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(size: number, init: WorkerInit, script = defaultWorkerScript()) {
    if (!existsSync(script)) {
      throw new Error(`saliency worker script ${script} not found: build the package first (npx tsc -b packages/saliency/tsconfig.lib.json) or run with --workers 0`);
    }
    for (let i = 0; i < size; i++) {
      const w = new Worker(script, { workerData: init });
      w.on('message', (msg: WorkerReply) => this.onReply(w, msg));
      w.on('error', (err) => this.onCrash(w, err));
      w.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.onCrash(w, new Error(`saliency worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private closing = false;

  run(name: string, bytes: Uint8Array): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, name, bytes });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const task = this.queue.shift() as { id: number; name: string; bytes: Uint8Array };
      this.busy.set(w, task.id);
      w.postMessage(task);
    }
  }

  private onReply(w: Worker, msg: WorkerReply): void {
    this.busy.delete(w);
    this.idle.push(w);
    const p = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    if (p) {
      if ('png' in msg) p.resolve(msg.png);
      else p.reject(Object.assign(new Error(msg.error), { inputError: msg.inputError }));
    }
    this.pump();
  }

  private onCrash(w: Worker, err: Error): void {
    // a crashed worker fails the whole job: its estimator state is unknown
    this.failure = err;
    const id = this.busy.get(w);
    if (id !== undefined) this.pending.get(id)?.reject(err);
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
