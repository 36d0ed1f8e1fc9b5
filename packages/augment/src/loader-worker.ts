/**
 * Worker-thread entry of TwoViewLoader (runs as compiled JS: dist/loader-worker.js).
 * Renders whole batches and hands their buffers back without copying.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DiloInputError } from '@dilo/core';
import { TwoViewSampler } from './two-view';
import { makeBatch } from './batch';
import type { BatchTask, WorkerInit, WorkerReply } from './loader-protocol';

const init = workerData as WorkerInit;
const sampler = new TwoViewSampler({ samples: init.samples, config: init.config, seed: init.seed });
const port = parentPort;
if (!port) throw new Error('loader-worker must run in a worker thread');

// one batch at a time, in arrival order: the loader never sends more than it wants computed
let chain: Promise<void> = Promise.resolve();
port.on('message', (task: BatchTask) => {
  chain = chain.then(async () => {
    try {
      const b = await makeBatch(sampler, init.samples, task.epoch, task.batch, task.indices, init.lookahead);
      const reply: WorkerReply = { type: 'done', id: task.id, ...b };
      port.postMessage(reply, [b.query.buffer, b.key.buffer, b.labels.buffer, b.indices.buffer] as ArrayBuffer[]);
    } catch (err) {
      const e = err as Error;
      const reply: WorkerReply = {
        type: 'error',
        id: task.id,
        name: e?.name ?? 'Error',
        message: e?.message ?? String(err),
        stack: e?.stack,
        ...(err instanceof DiloInputError ? { file: err.file, problem: err.problem } : {}),
      };
      port.postMessage(reply);
    }
  });
});
