// Which libtorch the addon builds against, for binding.gyp and build.js:
//   node scripts/torch-paths.js include|lib|libraries|defines|describe
// Looks, in order, at $LIBTORCH (an unpacked libtorch or a torch Python package folder), a
// Python PyTorch ($DILO_PYTHON, then python3, then /usr/bin/python3: its package folder with
// include/ and lib/, as a pip wheel has), then Debian's libtorch-dev (/usr/include, /usr/lib/<arch>;
// Debian's python3-torch keeps its headers there too). Detects the C++ ABI (a pip wheel before 2.7
// may be the old one) and CUDA (libtorch_cuda.so beside libtorch_cpu.so).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const PY_PROBE = [
  'import json, os, torch, torch.utils',
  'abi = getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", None)',
  'abi = torch.compiled_with_cxx11_abi() if abi is None else abi',
  'print(json.dumps({"dir": os.path.dirname(torch.__file__), "cmake": torch.utils.cmake_prefix_path, "version": torch.__version__, "abi": bool(abi)}))',
].join('\n');

/** Ask one Python interpreter where its torch is; null when it has none. */
function probePython(py) {
  const r = spawnSync(py, ['-c', PY_PROBE], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0 || !r.stdout) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

const has = (...p) => fs.existsSync(path.join(...p));

/** Version from torch/version.h (an unpacked libtorch or Debian), else null. */
function headerVersion(include) {
  for (const f of [path.join(include, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), path.join(include, 'torch', 'version.h')]) {
    if (!fs.existsSync(f)) continue;
    const m = /TORCH_VERSION\s+"([^"]+)"/.exec(fs.readFileSync(f, 'utf8'));
    if (m) return m[1];
  }
  return null;
}

/** ABI from TorchConfig.cmake's TORCH_CXX_FLAGS (unpacked libtorch); default: the new ABI. */
function cmakeAbi(root) {
  const f = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
  if (fs.existsSync(f)) {
    const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(fs.readFileSync(f, 'utf8'));
    if (m) return m[1] === '1';
  }
  return true;
}

/** A found libtorch: include dirs, lib dir, CUDA, ABI, where from. */
function layout(source, root, include, lib, version, abi) {
  const includes = [include, path.join(include, 'torch', 'csrc', 'api', 'include')].filter((d) => fs.existsSync(d));
  return {
    source,
    root,
    include: includes,
    lib,
    version: version ?? headerVersion(include) ?? 'unknown',
    abi: abi ?? cmakeAbi(root),
    cuda: has(lib, 'libtorch_cuda.so') && has(lib, 'libc10_cuda.so'),
  };
}

/**
 * Find libtorch. `opts` exists for the tests: env (default process.env), probe (py -> probe or
 * null), system ([{ include, lib }] for Debian's layout).
 */
function find(opts = {}) {
  const env = opts.env ?? process.env;
  const probe = opts.probe ?? probePython;
  const system = opts.system ?? [
    { include: '/usr/include', lib: '/usr/lib/x86_64-linux-gnu' },
    { include: '/usr/include', lib: '/usr/lib/aarch64-linux-gnu' },
  ];
  const debian = () => system.find((s) => has(s.include, 'ATen', 'ATen.h') && has(s.lib, 'libtorch_cpu.so'));

  if (env.LIBTORCH) {
    const r = env.LIBTORCH;
    if (has(r, 'include', 'ATen', 'ATen.h') && has(r, 'lib', 'libtorch_cpu.so')) return layout('LIBTORCH', r, path.join(r, 'include'), path.join(r, 'lib'));
  }
  const pythons = [env.DILO_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of [...new Set(pythons)]) {
    const p = probe(py);
    if (!p) continue;
    const lib = path.join(p.dir, 'lib');
    if (has(p.dir, 'include', 'ATen', 'ATen.h') && has(lib, 'libtorch_cpu.so')) return layout(`python (${py})`, p.dir, path.join(p.dir, 'include'), lib, p.version, p.abi);
    // Debian's python3-torch: headers in libtorch-dev; link the system libraries it uses.
    const d = debian();
    if (d) return layout(`python (${py}) + libtorch-dev`, p.dir, d.include, d.lib, p.version, p.abi);
  }
  const d = debian();
  if (d) return layout('libtorch-dev', d.lib, d.include, d.lib, null, true);
  return null;
}

/** Linker flags: CUDA libraries must not be dropped by --as-needed or their kernels never register. */
function libraries(c) {
  const l = [`-L${c.lib}`, `-Wl,-rpath,${c.lib}`];
  if (c.cuda) l.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  l.push('-ltorch_cpu', '-lc10');
  return l;
}

function defines(c) {
  const d = [`_GLIBCXX_USE_CXX11_ABI=${c.abi ? 1 : 0}`];
  if (c.cuda) d.push('DILO_WITH_CUDA=1');
  return d;
}

function describe(c) {
  return `libtorch ${c.version} from ${c.source} at ${c.lib}, CUDA ${c.cuda ? 'yes' : 'no'}, C++11 ABI ${c.abi ? 1 : 0}`;
}

module.exports = { find, libraries, defines, describe, probePython };

if (require.main === module) {
  const which = process.argv[2];
  const c = find();
  if (!c) {
    process.stderr.write('libtorch not found (set LIBTORCH, or DILO_PYTHON to a Python with torch, or install libtorch-dev)\n');
    process.exit(1);
  }
  // /usr/include is searched already; naming it with -I would change header order.
  if (which === 'include') process.stdout.write(c.include.filter((d) => d !== '/usr/include').join(' '));
  else if (which === 'lib') process.stdout.write(c.lib);
  else if (which === 'libraries') process.stdout.write(libraries(c).join(' '));
  else if (which === 'defines') process.stdout.write(defines(c).join(' '));
  else if (which === 'json') process.stdout.write(JSON.stringify(c));
  else process.stdout.write(describe(c));
}
