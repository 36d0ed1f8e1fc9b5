// Nx runtime input: a fingerprint of a dataset folder outside the workspace: the relative path
// and content hash (SHA-256) of every file, so tasks rerun exactly when the data change (not
// when mtimes do: Nx restores a cached generated dataset with new mtimes).
// Per-file hashes are memoised under node_modules/.cache/dilo-fingerprint, keyed by size and
// mtime: a file whose stat is unchanged is not read again. Without that, every `nx run` of an
// ImageNet grid would read 140 GB before its first task; with it, a stat walk.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

function fingerprint(root, memoDir) {
  const memoFile = memoDir ? path.join(memoDir, `${sha256(path.resolve(root))}.json`) : null;
  let memo = {};
  if (memoFile && fs.existsSync(memoFile)) {
    try { memo = JSON.parse(fs.readFileSync(memoFile, 'utf8')); } catch { memo = {}; } // a torn memo is only a cache: rebuild it
  }
  const next = {};
  let read = 0;
  const h = crypto.createHash('sha256');
  function walk(d) {
    let entries;
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { h.update(`missing:${path.relative(root, d)}\n`); return; }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      const rel = path.relative(root, p);
      const st = fs.statSync(p);
      const key = `${st.size}:${st.mtimeMs}`;
      let digest = memo[rel] && memo[rel][0] === key ? memo[rel][1] : null;
      if (!digest) { digest = sha256(fs.readFileSync(p)); read++; }
      next[rel] = [key, digest];
      h.update(`${rel}\0${digest}\n`);
    }
  }
  walk(root);
  if (memoFile && read > 0) {
    fs.mkdirSync(memoDir, { recursive: true });
    const tmp = `${memoFile}.${process.pid}.tmp`; // atomic: temp file + rename
    fs.writeFileSync(tmp, JSON.stringify(next));
    fs.renameSync(tmp, memoFile);
  }
  return { digest: h.digest('hex'), read };
}

module.exports = { fingerprint };

if (require.main === module) {
  const memoDir = process.env.DILO_FINGERPRINT_CACHE ?? path.join(__dirname, '..', '..', 'node_modules', '.cache', 'dilo-fingerprint');
  process.stdout.write(fingerprint(process.argv[2], memoDir || null).digest);
}
