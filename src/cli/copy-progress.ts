import type cliProgress from 'cli-progress';
import type { CopyReport } from '../registry/storage-copy.js';
import { formatBytes } from './format.js';
import type { Printer } from './printer.js';
import { loadCliProgress, PLAIN_PROGRESS_INTERVAL_MS } from './progress.js';

/**
 * Progress of `storage copy` on stderr, in objects and bytes. The number of objects to copy is
 * known when the copy starts but their total size is not, so the bar counts objects. As for
 * push and pull, a terminal gets a cli-progress bar that is cleared at the end, and any other
 * stderr gets one plain line every 5 seconds.
 */
export class CopyProgress {
  readonly #printer: Printer;
  readonly #enabled: boolean;
  #report: CopyReport | undefined;
  #bar: cliProgress.SingleBar | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** Shows nothing until the first `update`, and nothing at all unless `enabled`. */
  constructor(printer: Printer, enabled: boolean) {
    this.#printer = printer;
    this.#enabled = enabled;
  }

  /** Shows the latest report of the copy; the first call starts the bar or the plain lines. */
  update(report: CopyReport): void {
    const first = this.#report === undefined;
    this.#report = report;
    if (!this.#enabled) return;
    if (first) this.#start(report.total);
    this.#bar?.update(done(report), this.#payload());
  }

  /** Stops the bar or the plain lines. Safe to call more than once. */
  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #start(total: number): void {
    const stream = this.#printer.stderr as NodeJS.WriteStream;
    if (stream.isTTY === true) {
      const { SingleBar } = loadCliProgress();
      this.#bar = new SingleBar({
        stream,
        format: 'copy {bar} {percentage}% | {objects} objects | {bytes} | {failed} failed',
        clearOnComplete: true,
        hideCursor: true,
      });
      // A bar of total 0 never completes; an empty copy counts as one object long.
      this.#bar.start(Math.max(total, 1), 0, this.#payload());
      return;
    }
    this.#timer = setInterval(() => {
      const { objects, bytes, failed } = this.#payload();
      this.#printer.note(`copy: ${objects} objects, ${bytes}, ${failed} failed`);
    }, PLAIN_PROGRESS_INTERVAL_MS);
    this.#timer.unref();
  }

  #payload(): { objects: string; bytes: string; failed: number } {
    const report = this.#report ?? { total: 0, copied: 0, bytes: 0, failed: [] };
    return {
      objects: `${done(report)}/${report.total}`,
      bytes: formatBytes(report.bytes),
      failed: report.failed.length,
    };
  }
}

/** Objects finished so far, copied or failed. */
function done(report: CopyReport): number {
  return report.copied + report.failed.length;
}
