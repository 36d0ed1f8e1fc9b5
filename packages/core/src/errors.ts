/** An error about one input file: the message always names the file and the problem. */
export class DiloInputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
    this.name = 'DiloInputError';
  }
}

/** A bad command-line or configuration value (exit code 2 in the CLI). */
export class DiloUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiloUsageError';
  }
}
