import { promises as fs, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp name in the same directory, so rename() is atomic (same filesystem). */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write a file atomically: readers see the old content or the new one, never a partial file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}
