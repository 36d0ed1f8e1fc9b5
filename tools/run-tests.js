#!/usr/bin/env node
// `pnpm test`: every project's tests through Nx, then, if any failed, each failure again at the
// end (collected by tools/jest/failure-summary.js), so the tail of a long log says what broke.
// Extra arguments go to nx (e.g. `pnpm test --projects=core`).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dilo-test-failures-'));
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', DILO_TEST_FAILURES: dir };
const nx = path.join(__dirname, '..', 'node_modules', '.bin', 'nx');
const r = spawnSync(nx, ['run-many', '-t', 'test', '--output-style=stream', ...process.argv.slice(2)], { stdio: 'inherit', env });
const reports = fs.readdirSync(dir).sort();
if (reports.length) {
  process.stderr.write('\n==================== failing tests ====================\n');
  for (const f of reports) process.stderr.write(fs.readFileSync(path.join(dir, f), 'utf8') + '\n');
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
