import { backendCandidates, selectBackend, defaultThreads, tf } from './index';

describe('tensor backend selection', () => {
  it('tries tensorflow, then wasm, then cpu; honours DILO_BACKEND and explicit choices', () => {
    expect(backendCandidates('auto', {})).toEqual(['tensorflow', 'torch', 'wasm', 'cpu']);
    expect(backendCandidates(undefined, { DILO_BACKEND: 'cpu' })).toEqual(['cpu']);
    expect(backendCandidates('wasm', { DILO_BACKEND: 'cpu' })).toEqual(['wasm']);
    expect(() => backendCandidates('gpu' as never, {})).toThrow(/unknown backend 'gpu'/);
  });

  it('falls back to wasm when no tfjs-node package loads, then to cpu', async () => {
    const tried: string[] = [];
    const noNative = (pkg: string) => {
      tried.push(pkg);
      if (pkg.startsWith('@tensorflow/tfjs-node') || pkg === '@dilo/engine-torch') throw new Error(`Cannot find module '${pkg}'`);
      return require(pkg);
    };
    // two threads explicitly: the test environment defaults DILO_THREADS to 1 (tools/jest/setup-env.js)
    const a = await selectBackend({ backend: 'auto', threads: 2, log: false, load: noNative });
    expect(a.backend).toBe('wasm');
    expect(tried.slice(0, 4)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@dilo/engine-torch', '@tensorflow/tfjs-backend-wasm']);
    expect(a.skipped.map((s) => s.backend)).toEqual(['tensorflow', 'torch']);
    expect(tf.getBackend()).toBe('wasm');
    // threads are re-enabled under Node (wasm-threads.ts): XNNPACK runs the requested count
    expect(a.threads).toBe(2);
    expect(defaultThreads({ DILO_THREADS: '3' })).toBe(3);
    // a working wasm backend computes
    expect(Array.from(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data())).toEqual([11]);

    const onlyCpu = (pkg: string) => {
      if (pkg !== '@tensorflow/tfjs-backend-cpu') throw new Error(`Cannot find module '${pkg}'`);
      return require(pkg);
    };
    const c = await selectBackend({ backend: 'auto', threads: 1, log: false, load: onlyCpu });
    expect(c.backend).toBe('cpu');
    expect(c.skipped.map((s) => s.backend)).toEqual(['tensorflow', 'torch', 'wasm']);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('fails loudly when an explicitly requested backend is missing', async () => {
    await expect(selectBackend({ backend: 'tensorflow', threads: 1, log: false })).rejects.toThrow(/backend 'tensorflow' is not available/);
  });
});
