import { parseTorchDevice, resolveTorchDevice } from './device';

const cpuBuild = { lib: '/usr/lib/x86_64-linux-gnu', version: '1.13.0', cuda: false };

describe('torch device', () => {
  it('parses cpu, cuda, cuda:N, auto and rejects others', () => {
    for (const s of ['cpu', 'cuda', 'cuda:1', 'auto']) expect(parseTorchDevice(s)).toBe(s);
    expect(() => parseTorchDevice('gpu')).toThrow(/expected cpu, cuda, cuda:N or auto/);
  });
  it('cpu stays cpu; auto on a CPU build falls back to cpu with one logged line', () => {
    const lines: string[] = [];
    expect(resolveTorchDevice('cpu', cpuBuild, (l) => lines.push(l))).toBe('cpu');
    expect(lines).toEqual([]);
    expect(resolveTorchDevice('auto', cpuBuild, (l) => lines.push(l))).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/auto -> cpu \(this libtorch has no CUDA/);
  });
  it('cuda on a CPU build is one clear error naming the libtorch', () => {
    expect(() => resolveTorchDevice('cuda:0', cpuBuild)).toThrow(/this libtorch \(\/usr\/lib\/x86_64-linux-gnu, libtorch 1\.13\.0\) has no CUDA; build against a CUDA PyTorch/);
  });
  it('cuda on a CUDA build says device tensors are not implemented (never silently cpu)', () => {
    expect(() => resolveTorchDevice('cuda', { ...cpuBuild, cuda: true })).toThrow(/not implemented yet/);
  });
});

describe('registerTorchBackend device', () => {
  it("device 'cpu' explicitly registers on cpu; cuda on this build throws the clear error", async () => {
    const { registerTorchBackend, torchDevice } = await import('./register');
    const { readBuildInfo } = await import('./device');
    const build = readBuildInfo();
    if (!build) {
      if (process.env.CI === 'true') throw new Error('addon not built (build/Release/torch-info.json missing)');
      console.warn('skipped: addon not built');
      return;
    }
    expect(registerTorchBackend({ device: 'cpu' })).toBe(true);
    expect(torchDevice()).toBe('cpu');
    if (!build.cuda) expect(() => registerTorchBackend({ device: 'cuda' })).toThrow(/has no CUDA; build against a CUDA PyTorch/);
  });
});
