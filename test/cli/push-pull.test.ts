import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestHex, formatDigest } from '../../src/identity/digest.js';
import { digestOf } from '../../src/identity/hasher.js';
import { NEW_LOCAL_LAYOUT_VERSION, objectKey } from '../../src/storage/layout.js';
import type { FileRecord, PackageRecord, Page } from '../../src/registry/records.js';
import {
  type CliStore,
  createCliStore,
  listTree,
  parseJson,
  readTreeFile,
  runCli,
  SAMPLE_FILES,
  writeSampleTree,
} from './cli-harness.js';
import { TEST_DATABASES } from '../support/test-store.js';

interface PushOutput {
  packageId: string;
  manifestDigest: string;
  files: number;
  uploaded: number;
  bytes: number;
}

const LABELS = ['--name', 'sample', '--producer', 'ci', '--subject', 'build-1'];

/** Byte-compares every sample file under `root` with the generated content. */
async function assertSampleTree(root: string): Promise<void> {
  assert.deepEqual(await listTree(root), SAMPLE_FILES.map((file) => file.path).sort());
  for (const file of SAMPLE_FILES) {
    assert.ok(
      (await readTreeFile(root, file.path)).equals(file.content),
      `content of ${file.path}`,
    );
  }
}

for (const database of TEST_DATABASES) {
  describe(`cli push and pull on the local store on ${database.kind}`, {
    skip: database.skip,
  }, () => {
    let store: CliStore;
    let tree: string;
    let pushed: PushOutput;

    before(async () => {
      store = await createCliStore(database.kind);
      tree = join(store.dir, 'tree');
      await writeSampleTree(tree);
      const migrated = await runCli(['migrate'], store.env);
      assert.equal(migrated.status, 0, migrated.err);
    });

    after(async () => {
      await store.cleanup();
    });

    it('pushes a generated directory', async () => {
      const metadata = JSON.stringify({ build: 42, branch: 'main' });
      const result = await runCli(
        ['--json', 'push', tree, ...LABELS, '--metadata', metadata],
        store.env,
      );
      assert.equal(result.status, 0, result.err);
      pushed = parseJson<PushOutput>(result);
      assert.match(pushed.packageId, /^[0-9A-Z]{26}$/);
      assert.match(pushed.manifestDigest, /^blake3:[0-9a-f]{64}$/);
      assert.equal(pushed.files, SAMPLE_FILES.length);
      assert.equal(pushed.uploaded, SAMPLE_FILES.length);
      const bytes = SAMPLE_FILES.reduce((sum, file) => sum + file.content.length, 0);
      assert.equal(pushed.bytes, bytes);
    });

    it('prints package and manifest as text', async () => {
      const result = await runCli(['push', tree, ...LABELS, '--concurrency', '2'], store.env);
      assert.equal(result.status, 0, result.err);
      const lines = result.out.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^pushed 6 of 6 files \(5\.0 MiB\) in \d+\.\d s$/);
      assert.match(lines[1] ?? '', /^package {3}[0-9A-Z]{26}$/);
      assert.match(lines[2] ?? '', /^manifest {2}blake3:[0-9a-f]{64}$/);
    });

    it('pulls every file byte for byte', async () => {
      const target = join(store.dir, 'pulled');
      const result = await runCli(['--json', 'pull', pushed.packageId, target], store.env);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(parseJson(result), {
        packageId: pushed.packageId,
        directory: target,
        files: SAMPLE_FILES.length,
        downloaded: SAMPLE_FILES.length,
        unchanged: 0,
        bytes: pushed.bytes,
      });
      await assertSampleTree(target);
    });

    it('leaves equal files alone on a second pull', async () => {
      const target = join(store.dir, 'pulled');
      const result = await runCli(['pull', pushed.packageId, target], store.env);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /6 files, 0 downloaded \(0 B\), 6 unchanged/);
    });

    it('rejects a differing file without --force', async () => {
      const target = join(store.dir, 'pulled');
      await writeFile(join(target, 'README.txt'), 'changed locally\n');
      const result = await runCli(['pull', pushed.packageId, target], store.env);
      assert.equal(result.status, 5);
      assert.match(result.err, /"README\.txt" which differs/);
      assert.match(result.err, /pass --force/);
      assert.equal(await readFile(join(target, 'README.txt'), 'utf8'), 'changed locally\n');
    });

    it('overwrites a differing file with --force', async () => {
      const target = join(store.dir, 'pulled');
      const result = await runCli(['pull', pushed.packageId, target, '--force'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /1 downloaded/);
      await assertSampleTree(target);
    });

    it('lists packages as a table and as JSON', async () => {
      const table = await runCli(['ls', '--producer', 'ci'], store.env);
      assert.equal(table.status, 0, table.err);
      const lines = table.out.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^ID +NAME +PRODUCER +SUBJECT +STATE +FILES +SIZE +CREATED$/);
      assert.equal(lines.length, 3);
      assert.match(
        lines[1] ?? '',
        new RegExp(`^${pushed.packageId} +sample +ci +build-1 +finalized +6 +5\\.0 MiB`),
      );

      const json = await runCli(['ls', '--json', '--limit', '1'], store.env);
      assert.equal(json.status, 0, json.err);
      const page = parseJson<Page<PackageRecord>>(json);
      assert.equal(page.items.length, 1);
      assert.equal(page.items[0]?.id, pushed.packageId);
      assert.equal(typeof page.nextCursor, 'string');

      const next = await runCli(['ls', '--json', '--cursor', page.nextCursor as string], store.env);
      assert.equal(next.status, 0, next.err);
      assert.equal(parseJson<Page<PackageRecord>>(next).items.length, 1);
    });

    it('filters packages by subject', async () => {
      const result = await runCli(['ls', '--subject', 'no-such-subject'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(result.out, 'no packages\n');
    });

    it('shows a package and its files', async () => {
      const json = await runCli(['show', pushed.packageId, '--json'], store.env);
      assert.equal(json.status, 0, json.err);
      const shown = parseJson<{ package: PackageRecord; files: FileRecord[] }>(json);
      assert.equal(shown.package.id, pushed.packageId);
      assert.deepEqual(shown.package.metadata, { build: 42, branch: 'main' });
      for (const file of SAMPLE_FILES) {
        const record = shown.files.find((entry) => entry.path === file.path);
        assert.equal(record?.digest, digestOf(file.content), `digest of ${file.path}`);
        assert.equal(record?.size, file.content.length, `size of ${file.path}`);
      }

      const text = await runCli(['show', pushed.packageId], store.env);
      assert.equal(text.status, 0, text.err);
      assert.match(text.out, new RegExp(`^id: +${pushed.packageId}$`, 'm'));
      assert.match(text.out, /^manifest: +blake3:[0-9a-f]{64}$/m);
      assert.match(text.out, /^ünïcødé\/日本語 ファイル\.txt +16 +application\/octet-stream/m);
    });

    it('prints the manifest as CBOR that hashes to its address', async () => {
      const result = await runCli(['manifest', pushed.packageId, '--format', 'cbor'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.equal(digestOf(result.stdout), pushed.manifestDigest);
    });

    it('prints the manifest as JSON', async () => {
      const result = await runCli(['manifest', pushed.packageId], store.env);
      assert.equal(result.status, 0, result.err);
      const manifest = parseJson<{ package: { id: string }; files: Array<{ path: string }> }>(
        result,
      );
      assert.equal(manifest.package.id, pushed.packageId);
      assert.equal(manifest.files.length, SAMPLE_FILES.length);
    });

    it('writes one file to stdout with cat', async () => {
      const big = SAMPLE_FILES.find((file) => file.path === 'big/five-mib.bin');
      const result = await runCli(['cat', pushed.packageId, 'big/five-mib.bin'], store.env);
      assert.equal(result.status, 0, result.err);
      assert.ok(result.stdout.equals(big?.content as Buffer));
      const unicode = await runCli(
        ['cat', pushed.packageId, 'ünïcødé/日本語 ファイル.txt'],
        store.env,
      );
      assert.equal(unicode.out, 'こんにちは\n');
    });

    it('rejects a cat path with a ".." segment as --server does', async () => {
      const result = await runCli(['--json', 'cat', pushed.packageId, '../README.txt'], store.env);
      assert.equal(result.status, 6, result.err);
      assert.equal(result.out, '');
      const { error } = JSON.parse(result.err) as { error: { code: string; details: unknown } };
      assert.equal(error.code, 'INVALID_PATH');
      assert.deepEqual(error.details, { path: '../README.txt', rule: 'dot-segment' });
    });
  });
}

for (const database of TEST_DATABASES) {
  describe(`cli bad inputs on ${database.kind}`, { skip: database.skip }, () => {
    let store: CliStore;
    let tree: string;

    before(async () => {
      store = await createCliStore(database.kind);
      tree = join(store.dir, 'tree');
      await writeSampleTree(tree);
    });

    after(async () => {
      await store.cleanup();
    });

    it('exits 3 for an unknown package', async () => {
      const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (const args of [
        ['show', missing],
        ['pull', missing, join(store.dir, 'x')],
        ['cat', missing, 'a'],
      ]) {
        const result = await runCli(args, store.env);
        assert.equal(result.status, 3, `${args[0]}: ${result.err}`);
        assert.match(result.err, /not found/, args[0]);
      }
    });

    it('exits 6 for invalid metadata JSON naming --metadata', async () => {
      const result = await runCli(['push', tree, ...LABELS, '--metadata', '{build: 42'], store.env);
      assert.equal(result.status, 6);
      assert.match(result.err, /^artifactstore: invalid --metadata: not valid JSON/);
      const list = await runCli(['--json', 'ls'], store.env);
      assert.deepEqual(parseJson(list), { items: [], nextCursor: null });
    });

    it('exits 6 for metadata that is not an object', async () => {
      const result = await runCli(
        ['--json', 'push', tree, ...LABELS, '--metadata', '[1]'],
        store.env,
      );
      assert.equal(result.status, 6);
      const { error } = JSON.parse(result.err) as { error: { code: string; details: unknown } };
      assert.equal(error.code, 'INVALID_METADATA');
      assert.deepEqual(error.details, { option: '--metadata' });
    });

    it('exits 6 for an invalid --concurrency', async () => {
      const result = await runCli(['push', tree, ...LABELS, '--concurrency', '0'], store.env);
      assert.equal(result.status, 6);
      assert.match(result.err, /invalid --concurrency "0": expected an integer from 1 to 64/);
    });

    it('rejects a symbolic link unless --skip-special', async () => {
      const linked = join(store.dir, 'linked');
      await writeSampleTree(linked);
      await symlink(join(linked, 'README.txt'), join(linked, 'link.txt'));

      const rejected = await runCli(['push', linked, ...LABELS], store.env);
      assert.equal(rejected.status, 6);
      assert.match(rejected.err, /cannot push "link\.txt": it is a symbolic link/);

      const skipped = await runCli(
        ['--json', 'push', linked, ...LABELS, '--skip-special'],
        store.env,
      );
      assert.equal(skipped.status, 0, skipped.err);
      assert.match(skipped.err, /warning: skipped "link\.txt": it is a symbolic link/);
      const output = parseJson<PushOutput & { skipped: unknown }>(skipped);
      assert.equal(output.files, SAMPLE_FILES.length);
      assert.deepEqual(output.skipped, [{ path: 'link.txt', kind: 'symbolic link' }]);
    });

    it('exits 6 when DIR is not a directory', async () => {
      const result = await runCli(['push', join(tree, 'README.txt'), ...LABELS], store.env);
      assert.equal(result.status, 6);
      assert.match(result.err, /README\.txt": not a directory/);
    });
  });
}

for (const database of TEST_DATABASES) {
  describe(`cli push failure and resume on ${database.kind}`, { skip: database.skip }, () => {
    let store: CliStore;
    let tree: string;

    before(async () => {
      store = await createCliStore(database.kind);
      tree = join(store.dir, 'tree');
      await writeSampleTree(tree);
    });

    after(async () => {
      await store.cleanup();
    });

    it('names the failed file and resumes the open package', async () => {
      // A 1 MiB upload limit makes the 5 MiB file fail; files uploaded before it stay in the package.
      const limited = { ...store.env, ARTIFACTSTORE_MAX_UPLOAD_BYTES: String(1024 * 1024) };
      const failed = await runCli(['push', tree, ...LABELS, '--concurrency', '1'], limited);
      assert.equal(failed.status, 6, failed.err);
      assert.match(failed.err, /^artifactstore: upload of "big\/five-mib\.bin" failed: /m);
      const resume = /--resume ([0-9A-Z]{26})/.exec(failed.err);
      assert.ok(resume, failed.err);
      const packageId = resume[1] as string;
      assert.match(failed.err, /stays open and is not finalized/);

      const open = await runCli(['--json', 'show', packageId], store.env);
      const shown = parseJson<{ package: PackageRecord; files: FileRecord[] }>(open);
      assert.equal(shown.package.state, 'open');
      assert.ok(!shown.files.some((file) => file.path === 'big/five-mib.bin'));

      const resumed = await runCli(
        ['--json', 'push', tree, ...LABELS, '--resume', packageId],
        store.env,
      );
      assert.equal(resumed.status, 0, resumed.err);
      const output = parseJson<PushOutput>(resumed);
      assert.equal(output.packageId, packageId);
      assert.equal(output.files, SAMPLE_FILES.length);
      assert.equal(output.uploaded, SAMPLE_FILES.length - shown.files.length);
    });

    it('rejects resuming a finalized package with exit 5', async () => {
      const list = parseJson<Page<PackageRecord>>(await runCli(['--json', 'ls'], store.env));
      const finalized = list.items.find((pkg) => pkg.state === 'finalized');
      const result = await runCli(
        ['push', tree, ...LABELS, '--resume', finalized?.id as string],
        store.env,
      );
      assert.equal(result.status, 5);
      assert.match(result.err, /already finalized/);
    });
  });
}

for (const database of TEST_DATABASES) {
  describe(`cli pull of a corrupted object on ${database.kind}`, { skip: database.skip }, () => {
    let store: CliStore;
    let packageId: string;

    before(async () => {
      store = await createCliStore(database.kind);
      const tree = join(store.dir, 'tree');
      await writeSampleTree(tree);
      const pushed = await runCli(['--json', 'push', tree, ...LABELS], store.env);
      assert.equal(pushed.status, 0, pushed.err);
      packageId = parseJson<PushOutput>(pushed).packageId;
    });

    after(async () => {
      await store.cleanup();
    });

    async function corrupt(content: Buffer, change: (bytes: Buffer) => Buffer): Promise<void> {
      const hex = digestHex(digestOf(content));
      const path = join(
        store.dir,
        'storage',
        objectKey(formatDigest(hex), NEW_LOCAL_LAYOUT_VERSION),
      );
      await chmod(path, 0o644);
      await writeFile(path, change(await readFile(path)));
    }

    it('exits 4 and leaves no partial file', async () => {
      const big = SAMPLE_FILES.find((file) => file.path === 'big/five-mib.bin');
      await corrupt(big?.content as Buffer, (bytes) => {
        const flipped = Buffer.from(bytes);
        flipped[1000] = (flipped[1000] as number) ^ 0xff;
        return flipped;
      });
      const target = join(store.dir, 'pulled');
      const result = await runCli(['pull', packageId, target, '--concurrency', '1'], store.env);
      assert.equal(result.status, 4);
      assert.match(result.err, /file "big\/five-mib\.bin" of package .* failed verification/);
      await assert.rejects(stat(join(target, 'big', 'five-mib.bin')), { code: 'ENOENT' });
      const leftovers = (await readdir(target, { recursive: true })).filter((name) =>
        name.includes('.artifactstore-'),
      );
      assert.deepEqual(leftovers, []);
    });

    it('exits 4 for a truncated object', async () => {
      const readme = SAMPLE_FILES.find((file) => file.path === 'README.txt');
      await corrupt(readme?.content as Buffer, (bytes) => bytes.subarray(0, 3));
      const target = join(store.dir, 'pulled-truncated');
      await mkdir(target);
      // The big file is corrupted too. One download at a time makes README.txt, the first file
      // downloaded, the one that fails, instead of whichever of the two finishes first.
      const args = ['--json', 'pull', packageId, target, '--concurrency', '1'];
      const result = await runCli(args, store.env);
      assert.equal(result.status, 4);
      const { error } = JSON.parse(result.err.trim().split('\n').at(-1) as string) as {
        error: { code: string; details: { path: string; actualSize: number } };
      };
      assert.equal(error.code, 'INTEGRITY_ERROR');
      assert.equal(error.details.path, 'README.txt');
      assert.equal(error.details.actualSize, 3);
      await assert.rejects(stat(join(target, 'README.txt')), { code: 'ENOENT' });
    });

    it('exits 4 from cat after writing the bytes', async () => {
      const result = await runCli(['cat', packageId, 'README.txt'], store.env);
      assert.equal(result.status, 4);
      assert.equal(result.out, 'sam');
      assert.match(result.err, /failed verification after it was written to stdout/);
    });
  });
}
