// Build detection (scripts/torch-paths.js) on fake directory trees: no real CUDA needed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Found { source: string; include: string[]; lib: string; cuda: boolean; abi: boolean; version: string }
interface TorchPaths {
  find(opts: { env: Record<string, string | undefined>; probe: (py: string) => unknown; system: { include: string; lib: string }[] }): Found | null;
  libraries(c: Found): string[];
  defines(c: Found): string[];
  describe(c: Found): string;
}
const tp = require('../scripts/torch-paths.js') as TorchPaths;

function touch(...p: string[]): void {
  const f = path.join(...p);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, '');
}

describe('torch-paths', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-paths-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a pip CUDA wheel gives the CUDA libraries (not dropped by --as-needed), DILO_WITH_CUDA and its ABI', () => {
    const pkg = path.join(tmp, 'site-packages', 'torch');
    touch(pkg, 'include', 'ATen', 'ATen.h');
    fs.mkdirSync(path.join(pkg, 'include', 'torch', 'csrc', 'api', 'include'), { recursive: true });
    for (const l of ['libtorch_cpu.so', 'libc10.so', 'libtorch_cuda.so', 'libc10_cuda.so']) touch(pkg, 'lib', l);
    const probed: string[] = [];
    const c = tp.find({
      env: { DILO_PYTHON: '/opt/venv/bin/python3' },
      probe: (py) => {
        probed.push(py);
        return py === 'python3' ? { dir: pkg, cmake: path.join(pkg, 'share', 'cmake'), version: '2.3.0+cu121', abi: false } : null;
      },
      system: [],
    });
    expect(probed).toEqual(['/opt/venv/bin/python3', 'python3']);
    expect(c).not.toBeNull();
    const found = c as Found;
    expect(found.source).toBe('python (python3)');
    expect(found.cuda).toBe(true);
    expect(found.include).toEqual([path.join(pkg, 'include'), path.join(pkg, 'include', 'torch', 'csrc', 'api', 'include')]);
    expect(tp.defines(found)).toEqual(['_GLIBCXX_USE_CXX11_ABI=0', 'DILO_WITH_CUDA=1']);
    const libs = tp.libraries(found).join(' ');
    expect(libs).toContain(`-L${path.join(pkg, 'lib')}`);
    expect(libs).toMatch(/-Wl,--no-as-needed -ltorch_cuda -lc10_cuda/);
    expect(tp.describe(found)).toBe(`libtorch 2.3.0+cu121 from python (python3) at ${path.join(pkg, 'lib')}, CUDA yes, C++11 ABI 0`);
  });

  it("Debian's libtorch-dev layout (no Python torch) gives CPU, the new ABI and its header version", () => {
    const inc = path.join(tmp, 'usr', 'include');
    const lib = path.join(tmp, 'usr', 'lib', 'x86_64-linux-gnu');
    touch(inc, 'ATen', 'ATen.h');
    fs.mkdirSync(path.join(inc, 'torch', 'csrc', 'api', 'include', 'torch'), { recursive: true });
    fs.writeFileSync(path.join(inc, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), '#define TORCH_VERSION "1.13.1"\n');
    touch(lib, 'libtorch_cpu.so');
    const c = tp.find({ env: {}, probe: () => null, system: [{ include: inc, lib }] }) as Found;
    expect(c.source).toBe('libtorch-dev');
    expect(c.cuda).toBe(false);
    expect(c.version).toBe('1.13.1');
    expect(tp.defines(c)).toEqual(['_GLIBCXX_USE_CXX11_ABI=1']);
    expect(tp.libraries(c).join(' ')).not.toContain('cuda');
  });

  it('$LIBTORCH comes first; a wrong one is passed over; nothing found gives null', () => {
    const lt = path.join(tmp, 'libtorch');
    touch(lt, 'include', 'ATen', 'ATen.h');
    touch(lt, 'lib', 'libtorch_cpu.so');
    fs.mkdirSync(path.join(lt, 'share', 'cmake', 'Torch'), { recursive: true });
    fs.writeFileSync(path.join(lt, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), 'set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")\n');
    const c = tp.find({ env: { LIBTORCH: lt }, probe: () => ({ dir: '/nowhere', version: 'x', abi: true }), system: [] }) as Found;
    expect(c.source).toBe('LIBTORCH');
    expect(c.abi).toBe(false);
    expect(tp.find({ env: { LIBTORCH: path.join(tmp, 'missing') }, probe: () => null, system: [] })).toBeNull();
  });
});
