import yargs from 'yargs';
import { detectCommand } from './eval-command';

/** Run `detect …` in-process (usage errors thrown) and return what it printed on stdout. */
export async function runDetect(args: string[]): Promise<string> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await yargs(args)
      .command(detectCommand)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out;
}

/** The JSON object on the last stdout line. */
export const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
