import { parentPort, workerData } from 'node:worker_threads';
import { DiloInputError } from '@dilo/core';
import { createEstimator, type MethodName } from '../registry';
import { computeMapPng, type WorkerInit, type WorkerReply, type WorkerTask } from './compute';

/** Worker thread: one estimator, one image at a time, PNG bytes back (transferred, not copied). */
const init = workerData as WorkerInit;
const estimator = createEstimator(init.method as MethodName, init.params);
const port = parentPort;
if (!port) throw new Error('saliency worker started outside worker_threads');
port.on('message', (task: WorkerTask) => {
  computeMapPng(estimator, task.bytes, task.name).then(
    (png) => port.postMessage({ id: task.id, png } satisfies WorkerReply, [png.buffer as ArrayBuffer]),
    (err: unknown) => port.postMessage({ id: task.id, error: err instanceof Error ? err.message : String(err), inputError: err instanceof DiloInputError } satisfies WorkerReply),
  );
});
