// Jest reporter: after a project's run, the failing tests (and suites that failed to run) with
// the first lines of each error, on stderr and, when DILO_TEST_FAILURES names a folder, in
// <folder>/<project>.txt, so that `pnpm test` can repeat every failure at the very end of a
// long interleaved log (CI keeps only its tail).
const fs = require('node:fs');
const path = require('node:path');

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const head = (s, n) => strip(s).split('\n').filter((l) => !/^\s+at /.test(l)).slice(0, n).join('\n');

class FailureSummary {
  constructor(globalConfig, options = {}) {
    this.project = options.project ?? path.basename(globalConfig.rootDir);
  }

  onRunComplete(_contexts, results) {
    const lines = [];
    for (const suite of results.testResults) {
      const file = path.relative(process.cwd(), suite.testFilePath);
      if (suite.testExecError) lines.push(`  ${file}: the suite failed to run\n${indent(head(suite.testExecError.message ?? String(suite.testExecError), 12))}`);
      else if (suite.failureMessage && suite.numFailingTests === 0) lines.push(`  ${file}: the suite failed\n${indent(head(suite.failureMessage, 12))}`);
      for (const t of suite.testResults) {
        if (t.status !== 'failed') continue;
        lines.push(`  ${file} › ${t.fullName} (${t.duration ?? '?'} ms)\n${indent(head(t.failureMessages.join('\n'), 12))}`);
      }
    }
    if (!lines.length) return;
    const text = `FAILED in ${this.project} (${results.numFailedTests} test(s), ${results.numFailedTestSuites} suite(s)):\n${lines.join('\n')}\n`;
    process.stderr.write(`\n${text}`);
    const dir = process.env.DILO_TEST_FAILURES;
    if (dir) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${this.project}.txt`), text);
    }
  }
}

function indent(s) {
  return s.split('\n').map((l) => `      ${l}`).join('\n');
}

module.exports = FailureSummary;
