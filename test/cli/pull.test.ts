import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestHex, formatDigest } from '../../src/identity/digest.js';
import { digestOf } from '../../src/identity/hasher.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../../src/storage/layout.js';
import { type CliStore, createCliStore, listTree, parseJson, runCli } from './cli-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

const LABELS = ['--name', 'many', '--producer', 'ci', '--subject', 'build-1'];

/** 150 small files in three directories: more than the fsyncs a pull runs at once. */
const MANY_FILES = Array.from({ length: 150 }, (_, index) => ({
  path: `d${index % 3}/f${String(index).padStart(3, '0')}.txt`,
  content: Buffer.from(`file ${index}\n`.repeat(1 + (index % 7))),
}));

async function writeTree(root: string): Promise<void> {
  for (const file of MANY_FILES) {
    const target = join(root, ...file.path.split('/'));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, file.content);
  }
}

/** Lists the temporary files a pull may leave behind anywhere under `root`. */
async function tempFiles(root: string): Promise<string[]> {
  const names = await readdir(root, { recursive: true });
  return names.filter((name) => name.includes('.artifactstore-'));
}

for (const database of TEST_DATABASES) {
  describe(`cli pull of many files on ${database.kind}`, { skip: database.skip }, () => {
    let store: CliStore;
    let packageId: string;

    before(async () => {
      store = await createCliStore(database.kind);
      const tree = join(store.dir, 'tree');
      await writeTree(tree);
      const pushed = await runCli(['--json', 'push', tree, ...LABELS], store.env);
      assert.equal(pushed.status, 0, pushed.err);
      packageId = parseJson<{ packageId: string }>(pushed).packageId;
    });

    after(async () => {
      await store.cleanup();
    });

    it('writes every file and no temporary file', async () => {
      const target = join(store.dir, 'pulled', 'below');
      const result = await runCli(['--json', 'pull', packageId, target], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(parseJson<{ downloaded: number }>(result).downloaded, MANY_FILES.length);
      assert.deepEqual(await listTree(target), MANY_FILES.map((file) => file.path).sort());
      for (const file of MANY_FILES) {
        const content = await readFile(join(target, ...file.path.split('/')));
        assert.ok(content.equals(file.content), file.path);
      }
      assert.deepEqual(await tempFiles(target), []);
    });

    it('prints no warning when every file is already there', async () => {
      // 150 files present: more hashes at once than Node's default of 10 abort listeners.
      const target = join(store.dir, 'pulled-twice');
      const first = await runCli(['pull', packageId, target, '--no-progress'], store.env);
      assert.equal(first.status, 0, first.err);
      const second = await runCli(['--json', 'pull', packageId, target], store.env);
      assert.equal(second.status, 0, second.err);
      assert.equal(parseJson<{ unchanged: number }>(second).unchanged, MANY_FILES.length);
      assert.doesNotMatch(second.err, /Warning/);
    });

    it('rejects a target that is a file, even with --force', async () => {
      const target = join(store.dir, 'target-file.json');
      await writeFile(target, '{}\n');
      const result = await runCli(['--json', 'pull', packageId, target, '--force'], store.env);
      assert.equal(result.status, 6, result.err);
      const { error } = JSON.parse(result.err) as { error: { code: string; message: string } };
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(
        error.message,
        `cannot pull into ${JSON.stringify(target)}: it exists and is not a directory; pass the path of a directory, which pull creates when it is missing`,
      );
      assert.equal(await readFile(target, 'utf8'), '{}\n');
    });

    it('rejects a target below a file', async () => {
      const file = join(store.dir, 'parent-file.txt');
      await writeFile(file, 'a file\n');
      const result = await runCli(['pull', packageId, join(file, 'below')], store.env);
      assert.equal(result.status, 6, result.err);
      assert.match(
        result.err,
        /parent-file\.txt\/below": one of its parents is a file; pass the path/,
      );
      assert.equal(await readFile(file, 'utf8'), 'a file\n');
    });

    it('rejects a file where a directory belongs, even with --force', async () => {
      const target = join(store.dir, 'blocked-by-file');
      await mkdir(target);
      await writeFile(join(target, 'd1'), 'not a directory\n');
      const result = await runCli(['pull', packageId, target, '--force'], store.env);
      assert.equal(result.status, 5, result.err);
      assert.match(result.err, /"d1\/f001\.txt" which has a file where a parent directory belongs/);
      assert.deepEqual(await readdir(target), ['d1']);
    });

    it('rejects a directory where a file belongs', async () => {
      const target = join(store.dir, 'blocked-by-directory');
      await mkdir(join(target, 'd0', 'f000.txt'), { recursive: true });
      const result = await runCli(['pull', packageId, target], store.env);
      assert.equal(result.status, 5, result.err);
      assert.match(result.err, /"d0\/f000\.txt" which is a directory or special file/);
      assert.deepEqual(await listTree(target), []);
    });

    it('keeps verified files when a later one is corrupted', async () => {
      // Same size, one byte changed: only the digest can tell.
      const corrupted = MANY_FILES[4] as { path: string; content: Buffer };
      const hex = digestHex(digestOf(corrupted.content));
      const object = join(
        store.dir,
        'storage',
        objectKey(formatDigest(hex), NEW_LOCAL_LAYOUT_VERSION),
      );
      const bytes = await readFile(object);
      bytes[0] = (bytes[0] as number) ^ 0xff;
      await chmod(object, 0o644);
      await writeFile(object, bytes);

      const target = join(store.dir, 'pulled-corrupted');
      // One download at a time: the files downloaded before the corrupted one are complete.
      const args = ['--json', 'pull', packageId, target, '--concurrency', '1'];
      const result = await runCli(args, store.env);
      assert.equal(result.status, 4, result.err);
      const { error } = JSON.parse(result.err.trim().split('\n').at(-1) as string) as {
        error: { code: string; details: { path: string } };
      };
      assert.equal(error.code, 'INTEGRITY_ERROR');
      assert.equal(error.details.path, corrupted.path);

      const keptFiles = await listTree(target);
      assert.ok(keptFiles.length > 0, 'files downloaded before the failure are kept');
      for (const path of keptFiles) {
        const file = MANY_FILES.find((candidate) => candidate.path === path);
        assert.ok(file !== undefined, `unexpected file ${path}`);
        assert.ok((await readFile(join(target, ...path.split('/')))).equals(file.content), path);
      }
      await assert.rejects(stat(join(target, ...corrupted.path.split('/'))), { code: 'ENOENT' });
      assert.deepEqual(await tempFiles(target), []);
    });
  });
}
