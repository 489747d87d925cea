import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { isStoreError } from '../../errors/store-error.js';
import { digestOf } from '../../identity/hasher.js';
import { type BackendFixture, runBackendConformance } from '../conformance/backend-conformance.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../layout.js';
import { toStorageError } from './fs-errors.js';
import { LocalBackend } from './local-backend.js';
import { ABANDONED_TEMP_AGE_MS } from './temp-names.js';

/** Paths of the files under `tmp/`, relative to it, sorted; the shard directories are left out. */
async function listTempFiles(root: string): Promise<string[]> {
  const tempDir = join(root, 'tmp');
  const entries = await readdir(tempDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory() || !/^[0-9a-f]$/.test(entry.name))
    .map((entry) => relative(tempDir, join(entry.parentPath, entry.name)))
    .sort();
}

interface LocalFixture extends BackendFixture {
  readonly root: string;
}

/** A fresh root; `recordedLayout` is written as its layout version before the backend starts. */
async function makeLocalFixture(recordedLayout?: string): Promise<LocalFixture> {
  const root = await mkdtemp(join(tmpdir(), 'artifactstore-local-'));
  if (recordedLayout !== undefined) await writeFile(join(root, 'layout-version'), recordedLayout);
  const backend = new LocalBackend({ root });
  await backend.init();
  return {
    root,
    backend,
    leftovers: async () => listTempFiles(root),
    plantLeftovers: async () => {
      // Temp files of a process of this host that has exited, at the top of `tmp/` and in one
      // of its shards, and two old unowned entries.
      const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
      const owned = `${encodeURIComponent(hostname())}~${deadPid}~interrupted.part`;
      await writeFile(join(root, 'tmp', owned), 'half of an object');
      await writeFile(join(root, 'tmp', 'a', `${owned}-2`), 'another half');
      const old = new Date(Date.now() - 2 * ABANDONED_TEMP_AGE_MS);
      await writeFile(join(root, 'tmp', 'old-unowned.part'), 'older half');
      await utimes(join(root, 'tmp', 'old-unowned.part'), old, old);
      await mkdir(join(root, 'tmp', 'stray-directory'));
      await utimes(join(root, 'tmp', 'stray-directory'), old, old);
    },
    reopen: async () => {
      const restarted = new LocalBackend({ root });
      await restarted.init();
      return restarted;
    },
    dispose: async () => {
      await backend.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

runBackendConformance('LocalBackend', () => makeLocalFixture());
runBackendConformance('LocalBackend, layout version 1', () => makeLocalFixture('1\n'));

describe('LocalBackend', () => {
  let fixture: LocalFixture;

  beforeEach(async () => {
    fixture = await makeLocalFixture();
  });
  afterEach(() => fixture.dispose());

  it('stores objects read-only under one fan-out level', async () => {
    const bytes = Buffer.from('layout check');
    const { digest } = await fixture.backend.put(Readable.from([bytes]));
    const hex = digest.slice('blake3:'.length);
    const path = join(fixture.root, 'blake3', hex.slice(0, 2), hex);
    assert.equal(join(fixture.root, objectKey(digest, NEW_LOCAL_LAYOUT_VERSION)), path);
    const info = await stat(path);
    assert.equal(info.size, bytes.length);
    assert.equal(info.mode & 0o777, 0o444);
    assert.equal(await readFile(join(fixture.root, 'layout-version'), 'utf8'), '2\n');
  });

  it('spreads concurrent temp files over the shards of tmp/', async () => {
    // Sources that never end keep every temp file open until the uploads are aborted.
    const controller = new AbortController();
    const never = () => new Readable({ read() {} });
    const puts = Array.from({ length: 16 }, () =>
      fixture.backend.put(never(), { signal: controller.signal }).catch(() => undefined),
    );
    for (let tries = 0; tries < 250 && (await listTempFiles(fixture.root)).length < 16; tries++) {
      await setTimeout(20);
    }
    const shards = new Set((await listTempFiles(fixture.root)).map((path) => dirname(path)));
    assert.equal(shards.size, 16, [...shards].join(', '));
    controller.abort();
    await Promise.all(puts);
    assert.deepEqual(await listTempFiles(fixture.root), []);
  });

  it('default name is local', () => {
    assert.equal(fixture.backend.name, 'local');
    assert.equal(new LocalBackend({ name: 'archive', root: fixture.root }).name, 'archive');
  });

  it('put into a broken temp directory', async () => {
    await rm(join(fixture.root, 'tmp'), { recursive: true });
    await writeFile(join(fixture.root, 'tmp'), 'not a directory');
    const put = fixture.backend.put(Readable.from([Buffer.from('bytes')]));
    await assert.rejects(put, (err: unknown) => {
      assert.ok(isStoreError(err, 'STORAGE_ERROR'), `got ${String(err)}`);
      assert.ok(err.message.includes(join(fixture.root, 'tmp')), err.message);
      assert.ok(err.cause, 'keeps the filesystem error as cause');
      return true;
    });
  });

  it('health reports a broken temp directory', async () => {
    await rm(join(fixture.root, 'tmp'), { recursive: true });
    await writeFile(join(fixture.root, 'tmp'), 'not a directory');
    const report = await fixture.backend.health();
    assert.equal(report.ok, false);
    assert.ok(report.detail?.includes(join(fixture.root, 'tmp')), report.detail);
  });

  it('init on a root that is a file', async () => {
    const file = join(fixture.root, 'plain-file');
    await writeFile(file, 'not a directory');
    const init = new LocalBackend({ root: file }).init();
    await assert.rejects(init, (err: unknown) => {
      assert.ok(isStoreError(err, 'STORAGE_ERROR'), `got ${String(err)}`);
      assert.ok(err.message.includes(file), err.message);
      return true;
    });
  });

  it('open with an invalid range', async () => {
    const { digest } = await fixture.backend.put(Readable.from([Buffer.from('0123456789')]));
    const opened = fixture.backend.open(digest, { start: 5, end: 4 });
    await assert.rejects(opened, (err: unknown) => isStoreError(err, 'INVALID_RANGE'));
  });

  it('list skips files that are not objects', async () => {
    const { digest } = await fixture.backend.put(Readable.from([Buffer.from('listed')]));
    const objectDir = join(fixture.root, objectKey(digest, NEW_LOCAL_LAYOUT_VERSION), '..');
    await writeFile(join(objectDir, 'notes.txt'), 'stray');
    await mkdir(join(fixture.root, 'blake3', 'zz'), { recursive: true });
    const page = await fixture.backend.list();
    assert.deepEqual(page.items, [{ digest, size: 6 }]);
  });

  it('relative root resolves against the working directory', async () => {
    const backend = new LocalBackend({ root: relative(process.cwd(), fixture.root) });
    const { digest } = await backend.put(Readable.from([Buffer.from('relative')]));
    const info = await stat(join(fixture.root, objectKey(digest, NEW_LOCAL_LAYOUT_VERSION)));
    assert.equal(info.size, 8);
  });
});

/** Starts a backend on `root`, runs `work` with it and closes it. */
async function withBackend(root: string, work: (backend: LocalBackend) => Promise<void>) {
  const backend = new LocalBackend({ root });
  await backend.init();
  try {
    await work(backend);
  } finally {
    await backend.close();
  }
}

describe('local backend layout versions', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'artifactstore-layout-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('keeps two levels in an older store', async () => {
    // A store written before layout version 2: objects two levels deep, no layout-version file.
    const old = Buffer.from('stored by an older version');
    const oldDigest = digestOf(old);
    const oldPath = join(root, objectKey(oldDigest, 1));
    await mkdir(dirname(oldPath), { recursive: true });
    await writeFile(oldPath, old);
    await withBackend(root, async (backend) => {
      assert.equal(await readFile(join(root, 'layout-version'), 'utf8'), '1\n');
      assert.deepEqual(await backend.stat(oldDigest), { size: old.length });
      const { digest } = await backend.put(Readable.from([Buffer.from('stored now')]));
      assert.equal((await stat(join(root, objectKey(digest, 1)))).size, 10);
      const listed = (await backend.list()).items.map((item) => item.digest);
      assert.deepEqual(listed, [oldDigest, digest].sort());
    });
  });

  it('rejects an unknown layout version', async () => {
    await writeFile(join(root, 'layout-version'), '3\n');
    await assert.rejects(new LocalBackend({ root }).init(), (err: unknown) => {
      assert.ok(isStoreError(err, 'STORAGE_ERROR'));
      assert.match(err.message, /layout-version names layout version "3"/);
      assert.match(err.message, /write 1 if objects are at blake3\/ab\/cd\/<digest>/);
      return true;
    });
  });

  it('detects version 2 from object files', async () => {
    // A stray empty second-level directory does not make this a version-1 store.
    const bytes = Buffer.from('one level deep');
    const digest = digestOf(bytes);
    await mkdir(dirname(join(root, objectKey(digest, 2))), { recursive: true });
    await writeFile(join(root, objectKey(digest, 2)), bytes);
    await mkdir(join(root, 'blake3', '00', '00'), { recursive: true });
    await withBackend(root, async (backend) => {
      assert.equal(await readFile(join(root, 'layout-version'), 'utf8'), '2\n');
      assert.deepEqual(await backend.stat(digest), { size: bytes.length });
    });
  });

  it('rejects objects at both depths', async () => {
    for (const [text, version] of [
      ['one level', 2],
      ['two levels', 1],
    ] as const) {
      const path = join(root, objectKey(digestOf(text), version));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
    await assert.rejects(new LocalBackend({ root }).init(), (err: unknown) => {
      assert.ok(isStoreError(err, 'STORAGE_ERROR'));
      assert.match(err.message, /objects both one and two levels deep/);
      assert.match(err.message, /write 1 if objects are at/);
      return true;
    });
  });

  it('rejects a layout-version directory', async () => {
    await mkdir(join(root, 'layout-version'));
    await assert.rejects(new LocalBackend({ root }).init(), (err: unknown) => {
      assert.ok(isStoreError(err, 'STORAGE_ERROR'));
      assert.match(err.message, /layout-version is a directory; replace it with a file/);
      return true;
    });
  });

  it('reads and deletes objects an older process stored', async () => {
    await withBackend(root, async (backend) => {
      const bytes = Buffer.from('stored at the version-1 path');
      const digest = digestOf(bytes);
      const oldPath = join(root, objectKey(digest, 1));
      await mkdir(dirname(oldPath), { recursive: true });
      await writeFile(oldPath, bytes);
      assert.deepEqual(await backend.stat(digest), { size: bytes.length });
      const read = await backend.open(digest, { start: 0, end: 5 });
      assert.equal(Buffer.concat(await read.toArray()).toString(), 'stored');
      assert.equal(await backend.delete(digest), true);
      assert.equal(await backend.exists(digest), false);
    });
  });

  it('recreates directories removed while running', async () => {
    await withBackend(root, async (backend) => {
      const bytes = Buffer.from('stored twice');
      const digest = digestOf(bytes);
      await backend.put(Readable.from([bytes]));
      // The fan-out directory goes, with its kept descriptor now stale, and every temp shard.
      await rm(dirname(join(root, objectKey(digest, 2))), { recursive: true });
      await rm(join(root, 'tmp'), { recursive: true });
      const again = await backend.put(Readable.from([bytes]));
      assert.equal(again.created, true);
      assert.deepEqual(await backend.stat(digest), { size: bytes.length });
    });
  });

  it('concurrent starts agree on one version', async () => {
    const backends = Array.from({ length: 4 }, () => new LocalBackend({ root }));
    await Promise.all(backends.map((backend) => backend.init()));
    const { digest } = await backends[0]!.put(Readable.from([Buffer.from('shared')]));
    for (const backend of backends) assert.deepEqual(await backend.stat(digest), { size: 6 });
    assert.equal(await readFile(join(root, 'layout-version'), 'utf8'), '2\n');
    assert.deepEqual(
      (await readdir(root)).filter((name) => name.startsWith('layout-version')),
      ['layout-version'],
    );
    await Promise.all(backends.map((backend) => backend.close()));
  });
});

describe('toStorageError', () => {
  const systemError = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

  it('disk full names the path and the fix', () => {
    const err = toStorageError(systemError('ENOSPC'), 'write temp file', '/data/tmp/a.part');
    assert.equal(err.code, 'STORAGE_ERROR');
    assert.match(err.message, /\/data\/tmp\/a\.part/);
    assert.match(err.message, /no space left on device/);
    assert.equal(err.details.retryable, false);
    assert.equal(err.details.errno, 'ENOSPC');
  });

  it('permission denied names the path and the fix', () => {
    const cause = systemError('EACCES');
    const err = toStorageError(cause, 'commit object', '/data/blake3/ab');
    assert.equal(err.code, 'STORAGE_ERROR');
    assert.match(err.message, /\/data\/blake3\/ab: permission denied; .* \(EACCES\)$/);
    assert.equal(err.cause, cause);
  });
});

describe('local backend shared root', () => {
  it('keeps temp files of live processes at init', async () => {
    const fixture = await makeLocalFixture();
    try {
      const live = `${encodeURIComponent(hostname())}~${process.ppid}~in-flight.part`;
      const unowned = 'recent-unowned.part';
      await writeFile(join(fixture.root, 'tmp', live), 'being written');
      await writeFile(join(fixture.root, 'tmp', unowned), 'another host');
      const second = new LocalBackend({ root: fixture.root });
      await second.init();
      assert.deepEqual(await listTempFiles(fixture.root), [live, unowned].sort());
    } finally {
      await fixture.dispose();
    }
  });
});
