import { type FileHandle, open } from 'node:fs/promises';

/**
 * Fdatasyncs one file through a descriptor kept open between calls, which spares an open and a
 * close per call. It is made for SQLite's WAL. SQLite deletes the WAL when the last connection to
 * the database closes (https://sqlite.org/wal.html), and the store closes this object only after
 * its own connection, so the descriptor refers to the current WAL while the store is open.
 */
export class KeptDatasync {
  readonly path: string;
  #handle: Promise<FileHandle | undefined> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Flushes the data written to the file so far. A file that does not exist yet is skipped. */
  async sync(): Promise<void> {
    this.#handle ??= openIfPresent(this.path);
    const handle = await this.#handle.catch((err: unknown) => {
      this.#handle = undefined;
      throw err;
    });
    if (handle === undefined) {
      this.#handle = undefined;
      return;
    }
    await handle.datasync();
  }

  /** Closes the descriptor. A later `sync` opens the file again. */
  async close(): Promise<void> {
    const handle = await this.#handle?.catch(() => undefined);
    this.#handle = undefined;
    await handle?.close();
  }
}

async function openIfPresent(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
