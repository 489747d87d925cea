import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeptDatasync } from './kept-datasync.js';

/** Descriptors of this process that point at `path`, read from /proc/self/fd. */
function descriptorsOf(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(join('/proc/self/fd', fd)) === path) count++;
    } catch {
      // The descriptor that listed the directory is already closed.
    }
  }
  return count;
}

describe('KeptDatasync', () => {
  it('skips a missing file, then syncs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kept-datasync-'));
    const wal = new KeptDatasync(join(dir, 'wal'));
    try {
      await wal.sync();
      await writeFile(wal.path, 'frames');
      await wal.sync();
    } finally {
      await wal.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reuses one descriptor until close', {
    skip: !existsSync('/proc/self/fd'),
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kept-datasync-'));
    const wal = new KeptDatasync(join(dir, 'wal'));
    try {
      await writeFile(wal.path, 'frames');
      await Promise.all([wal.sync(), wal.sync()]);
      await wal.sync();
      assert.equal(descriptorsOf(wal.path), 1);
      await wal.close();
      assert.equal(descriptorsOf(wal.path), 0);
      await wal.sync();
      assert.equal(descriptorsOf(wal.path), 1);
    } finally {
      await wal.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
