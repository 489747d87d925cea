import assert from 'node:assert/strict';
import { openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../identity/digest.js';
import type { StagedFile } from './download-file.js';
import { FileCommitter } from './file-committer.js';

/** Writes `content` to a new temporary file in `directory`, as a download leaves it. */
function stage(directory: string, name: string, content: string): StagedFile {
  const temp = join(directory, `.artifactstore-${name}.tmp`);
  const fd = openSync(temp, 'wx');
  writeSync(fd, content);
  const file = {
    packageId: 'p',
    path: name,
    digest: 'blake3:0' as Digest,
    size: content.length,
    mediaType: 'text/plain',
    addedAt: '',
  };
  return { download: { file, target: join(directory, name) }, temp, fd };
}

describe('FileCommitter', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'artifactstore-committer-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('renames every staged file and creates directories', async () => {
    const directory = join(root, 'ok', 'a', 'b');
    const committed: string[] = [];
    const committer = new FileCommitter({
      parallelism: 2,
      onCommitted: (staged) => committed.push(staged.download.file.path),
    });
    await committer.createDirectories([directory]);
    const signal = new AbortController().signal;
    for (let index = 0; index < 5; index += 1) {
      await committer.commit(stage(directory, `f${index}`, `content ${index}`), signal);
    }
    await committer.finish();

    assert.deepEqual(committed.sort(), ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.deepEqual((await readdir(directory)).sort(), ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.equal(await readFile(join(directory, 'f3'), 'utf8'), 'content 3');
  });

  it('starts no more commits than its parallelism', async () => {
    const directory = join(root, 'bounded');
    await mkdir(directory);
    const committer = new FileCommitter({ parallelism: 1, onCommitted: () => undefined });
    const signal = new AbortController().signal;
    await committer.commit(stage(directory, 'first', '1'), signal);
    // With one slot, the second commit starts only after the first one renamed its file.
    await committer.commit(stage(directory, 'second', '2'), signal);
    assert.ok((await stat(join(directory, 'first'))).isFile());
    await committer.finish();
  });

  it('removes the temporary file when the signal is aborted', async () => {
    const directory = join(root, 'aborted');
    await mkdir(directory);
    const committer = new FileCommitter({ parallelism: 1, onCommitted: () => undefined });
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await assert.rejects(committer.commit(stage(directory, 'late', 'x'), controller.signal), {
      message: 'stopped',
    });
    await committer.settle();
    assert.deepEqual(await readdir(directory), []);
  });

  it('rejects later commits after a failed rename and leaves no temporary file', async () => {
    const directory = join(root, 'failing');
    // A non-empty directory under the target name makes the rename fail.
    await mkdir(join(directory, 'taken', 'inside'), { recursive: true });
    const committer = new FileCommitter({ parallelism: 1, onCommitted: () => undefined });
    const signal = new AbortController().signal;
    await committer.commit(stage(directory, 'taken', 'x'), signal);
    await assert.rejects(committer.commit(stage(directory, 'next', 'y'), signal), {
      code: 'EISDIR',
    });
    await assert.rejects(committer.finish(), { code: 'EISDIR' });
    assert.deepEqual((await readdir(directory)).sort(), ['taken']);
  });
});
