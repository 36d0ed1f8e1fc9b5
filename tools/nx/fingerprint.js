// Nx runtime input: a cheap fingerprint of a dataset folder outside the workspace
// (relative path and content hash of every file; not mtimes, which change when Nx restores a
// cached dataset), so tasks rerun exactly when the data change.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const root = process.argv[2];
const h = crypto.createHash('sha256');
function walk(d) {
  let entries;
  try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { h.update(`missing:${d}`); return; }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else h.update(`${path.relative(root, p)}\0`).update(fs.readFileSync(p)).update('\n');
  }
}
walk(root);
process.stdout.write(h.digest('hex'));
