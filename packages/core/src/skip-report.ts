import { DiloInputError } from './errors';

/** One input a command left out, and why (one line). */
export interface SkippedFile {
  file: string;
  problem: string;
}

/** What every command that reads a folder of inputs reports (human summary line and --json). */
export interface SkipCounts {
  processed: number;
  skipped: number;
  skippedFiles: SkippedFile[];
}

/** Exit code of a command that finished but left some inputs out (0 ok, 1 failure, 2 usage). */
export const EXIT_SKIPPED_INPUTS = 3;

// Skips of this process since the last reset: runCli turns a non-zero count into EXIT_SKIPPED_INPUTS
// without every handler having to return a status through yargs.
let skipsThisRun = 0;

/** Inputs skipped (by any SkipReport) since resetSkippedInputs(). */
export function skippedInputsThisRun(): number {
  return skipsThisRun;
}

/** Count skips reported elsewhere (a child process of this command) toward this run's exit code. */
export function markSkippedInputs(n = 1): void {
  skipsThisRun += n;
}

/** Called by the CLI before each command. */
export function resetSkippedInputs(): void {
  skipsThisRun = 0;
}

/** One line, whatever the decoder printed. */
function oneLine(s: string): string {
  return s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('; ');
}

/**
 * The skipped inputs of one command run. Each file is reported once, as the single stderr line
 * `skip <path>: <problem>`, at the moment it is skipped (so a long run shows it at once), and
 * counted for the summary.
 */
export class SkipReport {
  processed = 0;
  private readonly files = new Map<string, string>();

  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  /** Leave `file` out; false when it had already been reported (no second line). */
  skip(file: string, problem: string): boolean {
    if (this.files.has(file)) return false;
    const p = oneLine(problem);
    this.files.set(file, p);
    skipsThisRun++;
    this.write(`skip ${file}: ${p}\n`);
    return true;
  }

  /** Skip the file a DiloInputError names; any other error is not about an input and is rethrown. */
  skipError(err: unknown): void {
    if (err instanceof DiloInputError) this.skip(err.file, err.problem);
    else throw err;
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  get skipped(): number {
    return this.files.size;
  }

  counts(): SkipCounts {
    const skippedFiles = [...this.files].map(([file, problem]) => ({ file, problem })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return { processed: this.processed, skipped: skippedFiles.length, skippedFiles };
  }

  /** `N processed, M skipped` for the human summary line. */
  summary(): string {
    return `${this.processed} processed, ${this.skipped} skipped${this.skipped ? ' (listed above)' : ''}`;
  }
}
