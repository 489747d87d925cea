import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { formatBytes } from './format.js';
import type { Printer } from './printer.js';

/** Interval between plain progress lines when stderr is not a terminal, in milliseconds. */
export const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

const require = createRequire(import.meta.url);

/**
 * Loads cli-progress, a CommonJS package, when a bar is drawn. Only a terminal gets a bar, so
 * runs whose stderr is a pipe or a file, and commands without progress, never load it.
 */
export function loadCliProgress(): typeof cliProgress {
  return require('cli-progress');
}

/** Totals of a transfer, in files and bytes. */
export interface TransferTotals {
  files: number;
  bytes: number;
}

/**
 * Progress of a push or pull, in files and bytes, on stderr. On a terminal it draws a
 * cli-progress bar that is cleared when the transfer stops. When stderr is not a terminal (a
 * pipe, a file, CI logs), a bar would print nothing or garble the log. So it prints one plain
 * line every 5 seconds instead, and nothing at the end, where the command prints its summary.
 */
export class TransferProgress {
  readonly #label: string;
  readonly #totals: TransferTotals;
  readonly #printer: Printer;
  #files = 0;
  #bytes = 0;
  #bar: cliProgress.SingleBar | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** Starts showing progress unless `enabled` is false. */
  constructor(printer: Printer, label: string, totals: TransferTotals, enabled: boolean) {
    this.#printer = printer;
    this.#label = label;
    this.#totals = totals;
    if (!enabled) return;
    const stream = printer.stderr as NodeJS.WriteStream;
    if (stream.isTTY === true) this.#startBar(stream);
    else this.#startLines();
  }

  /** Counts bytes transferred. */
  addBytes(count: number): void {
    this.#bytes += count;
    this.#bar?.update(this.#bytes, this.#payload());
  }

  /** Counts one file done. */
  completeFile(): void {
    this.#files += 1;
    this.#bar?.update(this.#bytes, this.#payload());
  }

  /** Stops the bar or the periodic lines. Safe to call more than once. */
  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startBar(stream: NodeJS.WriteStream): void {
    const { SingleBar } = loadCliProgress();
    this.#bar = new SingleBar({
      stream,
      format: `${this.#label} {bar} {percentage}% | {files} files | {bytes} | eta {eta_formatted}`,
      clearOnComplete: true,
      hideCursor: true,
      etaBuffer: 50,
    });
    // A bar of total 0 never completes; an empty transfer counts as one byte long.
    this.#bar.start(Math.max(this.#totals.bytes, 1), 0, this.#payload());
  }

  #startLines(): void {
    this.#timer = setInterval(
      () =>
        this.#printer.note(
          `${this.#label}: ${this.#payload().files} files, ${this.#payload().bytes}`,
        ),
      PLAIN_PROGRESS_INTERVAL_MS,
    );
    this.#timer.unref();
  }

  #payload(): { files: string; bytes: string } {
    return {
      files: `${this.#files}/${this.#totals.files}`,
      bytes: `${formatBytes(this.#bytes)}/${formatBytes(this.#totals.bytes)}`,
    };
  }
}
