import { closeSync, fsync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { syncPath } from '../fs/sync-path.js';
import { discardTemp, type StagedFile } from './download-file.js';

const fsyncAsync = promisify(fsync);

/** A commit waiting for a free slot. */
interface SlotWaiter {
  signal: AbortSignal;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/**
 * Moves verified temporary files to their target names so that a crash never leaves a torn or
 * unverified file under a target name. Each file is fsynced under its temporary name before the
 * rename. `finish` then fsyncs every directory that gained an entry, once, so that the names are
 * durable too. Up to `parallelism` files are fsynced at once, because the fsync of a small file
 * mostly waits on the device, and many in flight overlap those waits with each other and with
 * the downloads that feed the committer.
 */
export class FileCommitter {
  readonly #parallelism: number;
  readonly #onCommitted: (staged: StagedFile) => void;
  /** Directories that gained an entry: a renamed file or a created subdirectory. */
  readonly #changedDirectories = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  #waiting: SlotWaiter[] = [];
  readonly #watchedSignals = new WeakSet<AbortSignal>();
  #slotsInUse = 0;
  #failure: { error: unknown } | undefined;

  /** `onCommitted` runs after each rename, for progress reporting. */
  constructor(options: { parallelism: number; onCommitted: (staged: StagedFile) => void }) {
    this.#parallelism = options.parallelism;
    this.#onCommitted = options.onCommitted;
  }

  /**
   * Creates each directory and its missing parents, and remembers the ones it created, whose
   * parents need an fsync for the new entry to be durable.
   */
  async createDirectories(directories: Iterable<string>): Promise<void> {
    for (const directory of directories) {
      const first = await mkdir(directory, { recursive: true });
      if (first === undefined) continue;
      // Every directory from `first` down to `directory` is new.
      let created = first;
      this.#changedDirectories.add(dirname(created));
      for (const segment of relative(first, directory).split(sep).filter(Boolean)) {
        this.#changedDirectories.add(created);
        created = `${created}${sep}${segment}`;
      }
    }
  }

  /**
   * Takes ownership of a staged file and starts its fsync and rename as soon as fewer than
   * `parallelism` commits are running, and resolves once it has started. If `signal` is aborted
   * or an earlier commit failed before this one starts, it removes the temporary file and
   * rejects.
   */
  async commit(staged: StagedFile, signal: AbortSignal): Promise<void> {
    try {
      await this.#acquireSlot(signal);
    } catch (err) {
      await discardTemp(staged);
      throw err;
    }
    if (this.#failure !== undefined) {
      this.#releaseSlot();
      await discardTemp(staged);
      throw this.#failure.error;
    }
    const task = this.#commitOne(staged).finally(() => {
      this.#running.delete(task);
      this.#releaseSlot();
    });
    this.#running.add(task);
  }

  /**
   * Waits for every started commit, then fsyncs each directory that gained an entry. Rejects
   * with the first commit failure, if any.
   */
  async finish(): Promise<void> {
    await this.#drain();
    if (this.#failure !== undefined) throw this.#failure.error;
    await Promise.all([...this.#changedDirectories].map(syncPath));
  }

  /**
   * Waits for every started commit after a failure elsewhere, then fsyncs the directories of the
   * files renamed so far where it can: those stay, since each was verified. Never rejects.
   */
  async settle(): Promise<void> {
    await this.#drain();
    await Promise.allSettled([...this.#changedDirectories].map(syncPath));
  }

  async #drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  async #commitOne(staged: StagedFile): Promise<void> {
    const { fd, temp, download } = staged;
    try {
      await fsyncAsync(fd);
    } catch (err) {
      this.#failure ??= { error: err };
      await discardTemp(staged);
      return;
    }
    try {
      // Closing is quick. A rename can wait for a slow create in the same directory, which holds
      // the directory's lock, so it runs on the thread pool.
      closeSync(fd);
      await rename(temp, download.target);
    } catch (err) {
      this.#failure ??= { error: err };
      await rm(temp, { force: true }).catch(() => undefined);
      return;
    }
    this.#changedDirectories.add(dirname(download.target));
    this.#onCommitted(staged);
  }

  #acquireSlot(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#slotsInUse < this.#parallelism) {
      this.#slotsInUse += 1;
      return Promise.resolve();
    }
    this.#watch(signal);
    // A released slot passes straight to the first waiter, so the count stays the same.
    return new Promise((resolve, reject) => this.#waiting.push({ signal, resolve, reject }));
  }

  /**
   * Rejects the waiters of `signal` once it is aborted. One listener per signal, rather than one
   * per waiter, keeps many waiters on the same signal from tripping Node's listener-leak warning.
   */
  #watch(signal: AbortSignal): void {
    if (this.#watchedSignals.has(signal)) return;
    this.#watchedSignals.add(signal);
    const rejectWaiters = (): void => {
      const stopped = this.#waiting.filter((waiter) => waiter.signal === signal);
      this.#waiting = this.#waiting.filter((waiter) => waiter.signal !== signal);
      for (const waiter of stopped) waiter.reject(signal.reason);
    };
    signal.addEventListener('abort', rejectWaiters, { once: true });
  }

  #releaseSlot(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#slotsInUse -= 1;
    else next.resolve();
  }
}
