/**
 * Multi-threaded tfjs-backend-wasm under Node.
 *
 * tfjs 4.22 switches wasm threads off under Node (flag WASM_HAS_MULTITHREAD_SUPPORT returns
 * false when IS_NODE), and Emscripten would start its pthread workers from blob: URLs, which
 * Node's worker_threads refuse. While the backend initialises, we turn the flag on and make
 * Blob/URL.createObjectURL write the two generated scripts (the pthread worker and the module
 * factory) to temp files, handing their paths to worker_threads instead. The worker script is
 * patched to load the factory from that file. Depends on tfjs-backend-wasm 4.22.0 internals:
 * the version is pinned, and `enableWasmThreads` fails loudly if the scripts do not look as expected.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd = ';
/** The worker's branch that loads the factory from a blob, replaced by a load from our file. */
const WORKER_LOAD = /if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{var objectUrl=URL\.createObjectURL\(e\.data\.urlOrBlob\);importScripts\(objectUrl\);URL\.revokeObjectURL\(objectUrl\)\}/;

const BUNDLE_REQUIRES = "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis, _scriptDir = undefined;";

class CapturedBlob {
  constructor(readonly parts: unknown[]) {}
  text(): string {
    return this.parts.map(String).join('');
  }
}

/**
 * Run `init` (which must call tf.setBackend('wasm')) with threads enabled; returns the number
 * of threads XNNPACK reports.
 */
export async function withWasmThreads(threads: number, init: () => Promise<void>): Promise<void> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-wasm-threads-'));
  let factoryFile: string | null = null;
  let patchedWorker = false;
  const g = globalThis as unknown as { Blob: unknown; URL: { createObjectURL: (b: unknown) => string } };
  const realBlob = g.Blob;
  const realCreate = g.URL.createObjectURL;
  g.Blob = CapturedBlob;
  g.URL.createObjectURL = (b: unknown) => {
    if (!(b instanceof CapturedBlob)) return realCreate.call(URL, b as Blob);
    let text = b.text();
    if (!WORKER_LOAD.test(text)) throw new Error('tfjs-backend-wasm worker script has an unexpected shape (version changed?)');
    if (!factoryFile) throw new Error('tfjs-backend-wasm: the threaded module factory was not seen before its worker');
    text = text.replace(WORKER_LOAD, `importScripts(${JSON.stringify(factoryFile)});`);
    const file = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
    writeFileSync(file, text);
    patchedWorker = true;
    return file;
  };
  // the factory Blob is built before any worker: capture it at construction
  g.Blob = class extends CapturedBlob {
    constructor(parts: unknown[]) {
      super(parts);
      const text = this.text();
      if (text.startsWith(FACTORY_PREFIX)) {
        factoryFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
        // the bundle refers to Node modules through rollup's require$$N aliases
        writeFileSync(factoryFile, `${BUNDLE_REQUIRES}\n${text}`);
      }
    }
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  // XNNPACK's pool takes at most half the logical cores (emscripten reads os.cpus()): while the
  // pool is created, report 2x the requested threads so that exactly `threads` are used.
  // pthread workers must not keep the process alive once the program is done
  const wt = require('node:worker_threads') as { Worker: typeof import('node:worker_threads').Worker };
  // (they stay referenced until the backend is ready, or the process would exit while waiting)
  const RealWorker = wt.Worker;
  const started: import('node:worker_threads').Worker[] = [];
  let ready = false;
  wt.Worker = class extends RealWorker {
    constructor(...args: ConstructorParameters<typeof RealWorker>) {
      super(...args);
      started.push(this);
    }

    // attaching a 'message' listener re-refs the worker's port: unref again once ready
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override on(event: string | symbol, listener: (...a: any[]) => void): this {
      super.on(event, listener);
      if (ready) this.unref();
      return this;
    }
  };
  const realCpus = os.cpus;
  const cpus = realCpus();
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  try {
    await init();
    ready = true;
    for (const w of started) w.unref();
  } finally {
    g.Blob = realBlob;
    g.URL.createObjectURL = realCreate;
    (os as { cpus: () => os.CpuInfo[] }).cpus = realCpus;
    wt.Worker = RealWorker;
  }
  if (!patchedWorker) throw new Error('tfjs-backend-wasm did not start pthread workers');
}
