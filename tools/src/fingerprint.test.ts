import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// the Nx runtime input of the reproduction grids (plain JS: Nx runs it as a command)
const { fingerprint } = require('../nx/fingerprint.js') as {
  fingerprint: (root: string, memoDir: string | null) => { digest: string; read: number };
};

describe('dataset fingerprint', () => {
  let dir: string;
  let memo: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dilo-fp-'));
    memo = path.join(dir, 'memo');
    fs.mkdirSync(path.join(dir, 'data', 'train', 'a'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'train', 'a', '1.jpg'), 'one');
    fs.writeFileSync(path.join(dir, 'data', 'train', 'a', '2.jpg'), 'two');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = () => path.join(dir, 'data');

  it('reads each file once, then only stats it; the digest does not depend on the memo', () => {
    const first = fingerprint(root(), memo);
    expect(first.read).toBe(2);
    const second = fingerprint(root(), memo);
    expect(second).toEqual({ digest: first.digest, read: 0 });
    expect(fingerprint(root(), null).digest).toBe(first.digest);
  });

  it('ignores mtimes (a restored cache) but not contents, names or deletions', () => {
    const base = fingerprint(root(), memo).digest;
    const f = path.join(root(), 'train', 'a', '1.jpg');
    fs.utimesSync(f, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = fingerprint(root(), memo);
    expect(touched).toEqual({ digest: base, read: 1 }); // re-read because the stat changed, same digest
    fs.writeFileSync(f, 'ONE'); // same size, new content
    expect(fingerprint(root(), memo).digest).not.toBe(base);
    fs.writeFileSync(f, 'one');
    fs.utimesSync(f, new Date(2002, 1, 1), new Date(2002, 1, 1)); // not the stat memoised for 'ONE', even on a coarse clock
    expect(fingerprint(root(), memo).digest).toBe(base);
    fs.renameSync(f, path.join(root(), 'train', 'a', '3.jpg'));
    expect(fingerprint(root(), memo).digest).not.toBe(base);
    fs.rmSync(path.join(root(), 'train', 'a', '3.jpg'));
    expect(fingerprint(root(), memo).digest).not.toBe(base);
  });

  it('a torn memo file is rebuilt, and a missing folder has a stable digest of its own', () => {
    const base = fingerprint(root(), memo).digest;
    const [file] = fs.readdirSync(memo);
    fs.writeFileSync(path.join(memo, file), '{"trunc');
    expect(fingerprint(root(), memo)).toEqual({ digest: base, read: 2 });
    const missing = fingerprint(path.join(dir, 'nope'), memo).digest;
    expect(missing).toBe(fingerprint(path.join(dir, 'nope'), memo).digest);
    expect(missing).not.toBe(base);
  });
});
