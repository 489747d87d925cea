import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../identity/hasher.js';
import type { FileRecord } from '../registry/records.js';
import { planPull } from './plan-pull.js';

/** More files than Node's default limit of 10 listeners, all present and equal on disk. */
const FILE_COUNT = 32;

describe('planPull', () => {
  let root: string;
  let files: FileRecord[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'artifactstore-plan-pull-'));
    files = [];
    for (let index = 0; index < FILE_COUNT; index += 1) {
      const path = `f${String(index).padStart(2, '0')}.txt`;
      const content = Buffer.from(`file ${index}\n`);
      await writeFile(join(root, path), content);
      files.push({
        packageId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        path,
        digest: digestOf(content),
        size: content.byteLength,
        mediaType: 'text/plain',
        addedAt: '2024-01-01T00:00:00.000Z',
      });
    }
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints no listener-leak warning when hashing 16 files at once', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      // The caller's signal keeps Node's default limit of 10 listeners, as the CLI's does.
      const signal = new AbortController().signal;
      const plan = await planPull(root, files, { force: false, concurrency: 16, signal });
      assert.equal(plan.unchanged, FILE_COUNT);
      assert.deepEqual(plan.downloads, []);
      // Node emits the warning on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
