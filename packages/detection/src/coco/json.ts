import { readFileSync } from 'node:fs';
import { DiloInputError } from '@dilo/core';
import type { z } from 'zod';

/** Read and parse a JSON file; errors name the file and the problem. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DiloInputError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DiloInputError(file, `invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Validate with a zod schema; the error names the file and the first offending path. */
export function parseWith<T>(file: string, schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '(top level)';
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problems)` : '';
  throw new DiloInputError(file, `not a valid ${what}: at ${where.replace(/^\./, '')}: ${issue.message}${more}`);
}
