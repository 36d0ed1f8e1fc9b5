import { SingleBar, Presets } from 'cli-progress';
import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

export interface ProgressOptions {
  /** label shown before the bar */
  label: string;
  total: number;
  /** stream to draw on (default stderr, so stdout stays clean for --json) */
  stream?: NodeJS.WriteStream;
  /** force plain periodic lines (default: plain when the stream is not a TTY) */
  plain?: boolean;
  /** seconds between plain lines (default 10) */
  plainInterval?: number;
  /** no output at all (e.g. --quiet) */
  silent?: boolean;
}

/**
 * Progress of a long job: a bar with rate and ETA on a TTY, plain periodic lines otherwise
 * (CI logs), always on stderr.
 */
export class Progress {
  private bar: SingleBar | null = null;
  private done = 0;
  private readonly start = Date.now();
  private lastLine = 0;
  private fields: Record<string, string | number> = {};

  constructor(private readonly opts: ProgressOptions) {
    const stream = opts.stream ?? process.stderr;
    const plain = opts.plain ?? !stream.isTTY;
    if (!opts.silent && !plain) {
      this.bar = new SingleBar(
        { stream, format: `${opts.label} [{bar}] {percentage}% {value}/{total} | {rate}/s | ETA {eta_formatted} {extra}`, hideCursor: true, etaBuffer: 50 },
        Presets.shades_classic,
      );
      this.bar.start(opts.total, 0, { rate: '0.0', extra: '' });
    }
  }

  get value(): number {
    return this.done;
  }

  /** items per second since start */
  rate(): number {
    const s = (Date.now() - this.start) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  /** seconds left at the current rate */
  eta(): number {
    const r = this.rate();
    return r > 0 ? (this.opts.total - this.done) / r : Infinity;
  }

  /** advance by n; fields (loss, lr, ...) are shown beside the bar */
  tick(n = 1, fields?: Record<string, string | number>): void {
    this.done += n;
    if (fields) this.fields = { ...this.fields, ...fields };
    const extra = Object.entries(this.fields).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join(' ');
    if (this.bar) this.bar.update(this.done, { rate: this.rate().toFixed(1), extra });
    else if (!this.opts.silent) {
      const now = Date.now();
      if (now - this.lastLine >= (this.opts.plainInterval ?? 10) * 1000 || this.done >= this.opts.total) {
        this.lastLine = now;
        const eta = this.eta();
        (this.opts.stream ?? process.stderr).write(
          `${this.opts.label}: ${this.done}/${this.opts.total} (${((100 * this.done) / Math.max(1, this.opts.total)).toFixed(0)}%) ${this.rate().toFixed(1)}/s ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '?'}${extra ? ' | ' + extra : ''}\n`,
        );
      }
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * A bar for a job that reports absolute counts through `onProgress(done, total)`: made on the first
 * call (the job knows its total only then), advanced to each `done`; `stop()` when the job ends.
 */
export function jobProgress(label: string, opts: Omit<ProgressOptions, 'label' | 'total'> = {}): { onProgress: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | null = null;
  return {
    onProgress: (done, total) => {
      bar ??= new Progress({ ...opts, label, total });
      bar.tick(done - bar.value);
    },
    stop: () => bar?.stop(),
  };
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 0.01 ? v.toPrecision(4) : v.toExponential(2);
}

export function formatSeconds(s: number): string {
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** Append-only JSON-lines event log (one object per line, with a timestamp). */
export class JsonlLog {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  write(event: string, data: Record<string, unknown> = {}): void {
    // appendFileSync of one line is a single write(2): lines from one process never interleave
    appendFileSync(this.file, JSON.stringify({ t: new Date().toISOString(), event, ...data }) + '\n');
  }
}

/** Print the one JSON object that a --json command ends with, as the last stdout line. */
export function printJsonResult(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
