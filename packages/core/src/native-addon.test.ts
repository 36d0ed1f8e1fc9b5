import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOptionalAddon } from './native-addon';

const opts = { label: '@dilo/test', disableEnv: 'DILO_TEST_NATIVE', rebuild: 'rebuild-it' };

describe('loadOptionalAddon', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => (stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)));
  afterEach(() => {
    stderr.mockRestore();
    delete process.env.DILO_TEST_NATIVE;
  });

  it('a missing addon: null, the file and how to build it named once on stderr', () => {
    const r = loadOptionalAddon('/nonexistent/x.node', opts);
    expect(r.addon).toBeNull();
    expect(r.reason).toMatch(/\/nonexistent\/x\.node does not exist.*rebuild-it/);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0][0])).toMatch(/^@dilo\/test: native kernels unavailable/);
  });

  it('a file that is not an addon: null with the loader error', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'addon-')), 'bad.node');
    fs.writeFileSync(file, 'not a shared object');
    const r = loadOptionalAddon(file, opts);
    expect(r.addon).toBeNull();
    expect(r.reason).toContain(file);
  });

  it('switched off by its environment variable: null, silently', () => {
    process.env.DILO_TEST_NATIVE = '0';
    expect(loadOptionalAddon('/nonexistent/x.node', opts)).toEqual({ addon: null, reason: 'DILO_TEST_NATIVE=0' });
    expect(stderr).not.toHaveBeenCalled();
  });

  it('a loadable module is returned', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'addon-')), 'ok.js');
    fs.writeFileSync(file, 'module.exports = { answer: 42 };');
    expect(loadOptionalAddon<{ answer: number }>(file, opts).addon?.answer).toBe(42);
  });
});
