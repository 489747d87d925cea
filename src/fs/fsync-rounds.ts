interface PendingSync {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function pendingSync(): PendingSync {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/**
 * Fsyncs files or directories in shared rounds, the way a database groups commits. A request
 * joins the next round, and that round starts only when the running one has finished, so every
 * fsync starts after the writes of its callers. A round fsyncs each distinct path once, all in
 * parallel, so a directory that many writers changed is flushed once for all of them. On a
 * journaling filesystem such as ext4 with its journal, the first fsync of a round also commits
 * every change made so far, and the rest of the round finds little left to do.
 */
export class FsyncRounds {
  readonly #syncPath: (path: string) => Promise<void>;
  /** Paths of the round that starts next, each with the promise its callers wait on. */
  #next = new Map<string, PendingSync>();
  /** Paths of the running round. */
  #running = new Map<string, PendingSync>();
  #draining = false;

  /** @param syncPath opens `path`, fsyncs or fdatasyncs it and closes it. */
  constructor(syncPath: (path: string) => Promise<void>) {
    this.#syncPath = syncPath;
  }

  /** Fsyncs `paths` in the next round; resolves when all of them are durable. */
  sync(paths: readonly string[]): Promise<void> {
    const waits = paths.map((path) => {
      let pending = this.#next.get(path);
      if (pending === undefined) {
        pending = pendingSync();
        this.#next.set(path, pending);
      }
      return pending.promise;
    });
    if (!this.#draining) void this.#drain();
    return Promise.all(waits).then(() => undefined);
  }

  /**
   * Waits until a requested fsync of `path` has finished, if one is queued or running, so that a
   * caller never relies on a change that another caller has made but not yet made durable.
   */
  async settle(path: string): Promise<void> {
    const pending = this.#next.get(path) ?? this.#running.get(path);
    await pending?.promise;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#next.size > 0) {
      this.#running = this.#next;
      this.#next = new Map();
      await Promise.all(
        [...this.#running].map(async ([path, pending]) => {
          try {
            await this.#syncPath(path);
            pending.resolve();
          } catch (err) {
            pending.reject(err);
          }
        }),
      );
      this.#running = new Map();
    }
    this.#draining = false;
  }
}
