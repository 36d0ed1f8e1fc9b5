// Where libtorch's headers and libraries are, for binding.gyp:
//   node scripts/torch-paths.js include|lib
// Looks at $LIBTORCH (an unpacked libtorch or a torch Python package folder), then Debian's
// libtorch-dev layout. Prints nothing for the include dir when it is /usr/include (already searched).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function find() {
  const cands = [];
  if (process.env.LIBTORCH) cands.push({ include: path.join(process.env.LIBTORCH, 'include'), lib: path.join(process.env.LIBTORCH, 'lib') });
  cands.push({ include: '/usr/include', lib: '/usr/lib/x86_64-linux-gnu' });
  cands.push({ include: '/usr/include', lib: '/usr/lib/aarch64-linux-gnu' });
  for (const c of cands) {
    if (fs.existsSync(path.join(c.include, 'ATen', 'ATen.h')) && fs.existsSync(path.join(c.lib, 'libtorch_cpu.so'))) return c;
  }
  return null;
}

module.exports = { find };

if (require.main === module) {
  const which = process.argv[2];
  const c = find();
  if (!c) {
    process.stderr.write('libtorch not found (set LIBTORCH, or install libtorch-dev)\n');
    process.exit(1);
  }
  if (which === 'include') process.stdout.write(c.include === '/usr/include' ? '' : c.include);
  else process.stdout.write(c.lib);
}
