import { setMaxListeners } from 'node:events';

/** Upper bound on the abort listeners that one call of `work` adds to its signal at a time. */
const LISTENERS_PER_CALL = 4;

/** Failure of one item of a pool, with the item it happened on. */
export class PoolItemError<T> extends Error {
  readonly item: T;

  constructor(item: T, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'PoolItemError';
    this.item = item;
  }
}

/**
 * Runs `work` on every item with at most `concurrency` calls in flight, in item order. On the
 * first failure it starts no further items, aborts the signal handed to the calls in flight,
 * waits for them to settle, and rejects with a `PoolItemError` naming the failed item. Aborting
 * `signal` stops the pool the same way.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  // Every call in flight adds a few abort listeners (the stream pipeline, the HTTP request), and
  // removes them when it ends. Node warns of a leak above 10, which 64 calls exceed by design.
  setMaxListeners(Math.max(10, concurrency * LISTENERS_PER_CALL), controller.signal);
  const stop = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  let next = 0;
  let failure: PoolItemError<T> | undefined;

  const runWorker = async (): Promise<void> => {
    while (failure === undefined && !controller.signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item, controller.signal);
      } catch (err) {
        failure ??= new PoolItemError(item, err);
        controller.abort(err);
      }
    }
  };

  try {
    const workers = Array.from({ length: Math.min(concurrency, items.length) }, runWorker);
    await Promise.all(workers);
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (failure !== undefined) throw failure;
  signal.throwIfAborted();
}
