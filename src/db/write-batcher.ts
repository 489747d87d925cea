import { type Kysely, sql } from 'kysely';
import type { StoreDatabase } from './connection.js';
import { classifyDatabaseError } from './dialect.js';
import type { Database } from './schema.js';
import { toStoreError, writeTransaction } from './write-transaction.js';

/** Largest number of writes committed together. */
export const MAX_BATCH = 64;

/**
 * Maximum wait for more writes before a commit, in milliseconds, and only while writes are known
 * to be on their way (see `expectedWrites`). One commit costs about one fsync, so a short wait
 * that lets several writes share it raises throughput under concurrent uploads.
 */
export const LINGER_MS = 2;

type Work<T> = (trx: Kysely<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: writes submitted while a transaction is running are queued and then run
 * together in the next transaction, each inside its own savepoint, and made durable by one
 * commit. A write that fails rolls back to its savepoint and fails alone; the others commit.
 * Each caller learns its outcome only after the commit, so nothing is acknowledged early.
 *
 * The batch runs under `writeTransaction`, so it holds the store-wide write lock and is retried
 * whole on a transient conflict. Writes must therefore be safe to run again, which every
 * registry write is: it re-reads what it checks and only writes after the checks pass.
 */
export class WriteBatcher {
  readonly #store: StoreDatabase;
  readonly #expectedWrites: () => number;
  #queue: Pending[] = [];
  #draining = false;
  #wake: (() => void) | undefined;

  /**
   * @param expectedWrites number of writes that will be submitted soon (uploads whose bytes
   *   are still being stored); the batcher lingers for them up to LINGER_MS.
   */
  constructor(store: StoreDatabase, expectedWrites: () => number = () => 0) {
    this.#store = store;
    this.#expectedWrites = expectedWrites;
  }

  /** Runs `work` in the next group commit and returns its result once that commit is durable. */
  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#wake?.();
      if (!this.#draining) void this.#drain();
    });
  }

  /** Waits up to LINGER_MS while more writes are expected and the batch is not full. */
  async #linger(): Promise<void> {
    const deadline = performance.now() + LINGER_MS;
    while (this.#queue.length < MAX_BATCH && this.#expectedWrites() > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        await this.#linger();
        const batch = this.#queue.splice(0, MAX_BATCH);
        await this.#commit(batch);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let outcomes: Outcome[] = [];
    try {
      await writeTransaction(this.#store, async (trx) => {
        outcomes = [];
        for (const [index, item] of batch.entries()) {
          outcomes.push(await runInSavepoint(trx, `w${index}`, item.work));
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      // A write that failed alone (a statement timeout, say) gets the same StoreError mapping.
      else item.reject(toStoreError(outcome.error));
    });
  }
}

async function runInSavepoint(trx: Kysely<Database>, name: string, work: Work<unknown>) {
  await sql.raw(`savepoint ${name}`).execute(trx);
  try {
    const value = await work(trx);
    await sql.raw(`release savepoint ${name}`).execute(trx);
    return { ok: true, value } as const;
  } catch (error) {
    // A transient conflict or a lost connection dooms the whole transaction: let it retry.
    const kind = classifyDatabaseError(error);
    if (kind === 'transient' || kind === 'unavailable') throw error;
    await sql.raw(`rollback to savepoint ${name}`).execute(trx);
    await sql.raw(`release savepoint ${name}`).execute(trx);
    return { ok: false, error } as const;
  }
}
