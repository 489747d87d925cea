import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isStoreError } from '../../src/errors/store-error.js';
import type { Digest } from '../../src/identity/digest.js';
import { digestOf } from '../../src/identity/hasher.js';
import { decodeManifest } from '../../src/manifest/cbor-codec.js';
import type { Registry } from '../../src/registry/registry.js';
import { dumpTables } from '../support/dump-views.js';
import { TEST_DATABASES, type TestStore, createTestStore } from '../support/test-store.js';

const actor = 'tester';

function body(text: string | Buffer): Readable {
  return Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function snapshot(registry: Registry): Promise<string> {
  return dumpTables(registry.database.db, true);
}

for (const database of TEST_DATABASES) {
  describe(`registry on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let registry: Registry;

    before(async () => {
      store = await createTestStore(database.kind);
      registry = await store.open();
    });

    after(async () => {
      await registry?.close();
      await store?.cleanup();
    });

    async function newPackage(name = 'build') {
      return registry.createPackage({ name, producer: 'ci', subject: 'app@1', actor });
    }

    it('stores, finalizes and reads back a package', async () => {
      const pkg = await newPackage();
      assert.equal(pkg.state, 'open');
      assert.equal(pkg.retentionClass, 'standard');
      const file = await registry.ingestFile({
        packageId: pkg.id,
        path: 'bin/app',
        mediaType: 'application/x-executable',
        body: body('hello world'),
        actor,
      });
      assert.equal(file.digest, digestOf('hello world'));
      assert.equal(file.size, 11);
      await registry.ingestFile({ packageId: pkg.id, path: 'README', body: body(''), actor });

      const { manifestDigest, package: finalized } = await registry.finalize({
        packageId: pkg.id,
        actor,
      });
      assert.equal(finalized.state, 'finalized');
      assert.equal(finalized.fileCount, 2);
      assert.equal(finalized.totalSize, 11);

      const cbor = await registry.getManifest(pkg.id, 'cbor');
      assert.equal(digestOf(cbor.bytes), manifestDigest);
      const manifest = decodeManifest(cbor.bytes);
      assert.deepEqual(
        manifest.files.map((f) => f.path),
        ['README', 'bin/app'],
      );
      const json = JSON.parse((await registry.getManifest(pkg.id, 'json')).bytes.toString());
      assert.equal(json.files[1].digest, file.digest);

      const opened = await registry.openFile(pkg.id, 'bin/app', { start: 6, end: 10 });
      assert.equal((await readAll(opened.stream)).toString(), 'world');
      const object = await registry.openObject(file.digest);
      assert.equal((await readAll(object.stream)).toString(), 'hello world');
    });

    it('stores equal bytes once across packages', async () => {
      const bytes = Buffer.from(`shared ${database.kind} ${Date.now()}`);
      const a = await newPackage('a');
      const b = await newPackage('b');
      const fa = await registry.ingestFile({
        packageId: a.id,
        path: 'x',
        body: body(bytes),
        actor,
      });
      const fb = await registry.ingestFile({
        packageId: b.id,
        path: 'y',
        body: body(bytes),
        actor,
      });
      assert.equal(fa.digest, fb.digest);
      const locations = await registry.database.db
        .selectFrom('storage_locations')
        .selectAll()
        .where('digest', '=', fa.digest)
        .execute();
      assert.equal(locations.length, 1);
      const page = await registry.backend.list({ limit: 1000 });
      assert.equal(page.items.filter((item) => item.digest === fa.digest).length, 1);
    });

    it('appends one event per change with gapless sequence numbers', async () => {
      const events = await registry.listEvents({ limit: 1000 });
      assert.ok(events.length > 0);
      assert.deepEqual(
        events.map((event) => event.seq),
        events.map((_event, index) => index + 1),
      );
    });

    const rejections: Array<
      [string, (pkgId: string, finalId: string) => Promise<unknown>, string]
    > = [
      [
        'unknown package',
        () => registry.ingestFile({ packageId: 'NOPE', path: 'a', body: body('x'), actor }),
        'PACKAGE_NOT_FOUND',
      ],
      [
        'dot-dot path',
        (id) => registry.ingestFile({ packageId: id, path: 'a/../b', body: body('x'), actor }),
        'INVALID_PATH',
      ],
      [
        'absolute path',
        (id) => registry.ingestFile({ packageId: id, path: '/etc/passwd', body: body('x'), actor }),
        'INVALID_PATH',
      ],
      [
        'duplicate path',
        (id) => registry.ingestFile({ packageId: id, path: 'taken', body: body('y'), actor }),
        'DUPLICATE_PATH',
      ],
      [
        'file under a file',
        (id) => registry.ingestFile({ packageId: id, path: 'taken/inner', body: body('y'), actor }),
        'PATH_CONFLICT',
      ],
      [
        'file over a directory',
        (id) => registry.ingestFile({ packageId: id, path: 'dir', body: body('y'), actor }),
        'PATH_CONFLICT',
      ],
      [
        'digest mismatch',
        (id) =>
          registry.ingestFile({
            packageId: id,
            path: 'm',
            body: body('abc'),
            actor,
            expectedDigest: digestOf('abd'),
          }),
        'DIGEST_MISMATCH',
      ],
      [
        'size mismatch',
        (id) =>
          registry.ingestFile({
            packageId: id,
            path: 'm',
            body: body('abc'),
            actor,
            expectedSize: 4,
          }),
        'SIZE_MISMATCH',
      ],
      [
        'malformed digest',
        (id) =>
          registry.ingestFile({
            packageId: id,
            path: 'm',
            body: body('abc'),
            actor,
            expectedDigest: 'sha256:00' as Digest,
          }),
        'INVALID_DIGEST',
      ],
      [
        'bad media type',
        (id) =>
          registry.ingestFile({
            packageId: id,
            path: 'm',
            body: body('abc'),
            actor,
            mediaType: 'not a type',
          }),
        'INVALID_ARGUMENT',
      ],
      [
        'upload into finalized',
        (_id, finalId) =>
          registry.ingestFile({ packageId: finalId, path: 'late', body: body('x'), actor }),
        'PACKAGE_FINALIZED',
      ],
      [
        'finalize twice',
        (_id, finalId) => registry.finalize({ packageId: finalId, actor }),
        'PACKAGE_FINALIZED',
      ],
      [
        'unknown retention class',
        () =>
          registry.createPackage({
            name: 'n',
            producer: 'p',
            subject: 's',
            retentionClass: 'forever-ish',
            actor,
          }),
        'UNKNOWN_RETENTION_CLASS',
      ],
      [
        'metadata array',
        () =>
          registry.createPackage({ name: 'n', producer: 'p', subject: 's', metadata: [1], actor }),
        'INVALID_METADATA',
      ],
      [
        'metadata too large',
        () =>
          registry.createPackage({
            name: 'n',
            producer: 'p',
            subject: 's',
            metadata: { big: 'x'.repeat(70_000) },
            actor,
          }),
        'INVALID_METADATA',
      ],
      [
        'empty name',
        () => registry.createPackage({ name: '', producer: 'p', subject: 's', actor }),
        'INVALID_ARGUMENT',
      ],
      [
        'manifest of open package',
        (id) => registry.getManifest(id, 'json'),
        'PACKAGE_NOT_FINALIZED',
      ],
      [
        'range past the end',
        (id) => registry.openFile(id, 'taken', { start: 5, end: 9 }),
        'RANGE_NOT_SATISFIABLE',
      ],
      ['bad cursor', () => registry.listPackages({ cursor: 'garbage!' }), 'INVALID_CURSOR'],
    ];

    describe('rejections leave the store unchanged', () => {
      let openId: string;
      let finalId: string;

      before(async () => {
        openId = (await newPackage('open')).id;
        await registry.ingestFile({ packageId: openId, path: 'taken', body: body('t'), actor });
        await registry.ingestFile({ packageId: openId, path: 'dir/file', body: body('d'), actor });
        finalId = (await newPackage('final')).id;
        await registry.finalize({ packageId: finalId, actor });
      });

      for (const [name, action, code] of rejections) {
        it(`rejects ${name} with ${code}`, async () => {
          const before = await snapshot(registry);
          const objects = await registry.backend.list({ limit: 1000 });
          await assert.rejects(action(openId, finalId), (err: unknown) => {
            assert.ok(isStoreError(err), `expected a StoreError, got ${String(err)}`);
            assert.equal(err.code, code);
            return true;
          });
          assert.equal(await snapshot(registry), before);
          assert.deepEqual(await registry.backend.list({ limit: 1000 }), objects);
        });
      }
    });

    it('accepts paths that only share a prefix', async () => {
      const pkg = await newPackage('prefixes');
      const upload = (path: string) =>
        registry.ingestFile({ packageId: pkg.id, path, body: body(path), actor });
      // '-' and '.' sort before '/', and '0' right after it, so these bracket the range of 'a/'.
      for (const path of ['a-b/c', 'a.d', 'a0', 'a0x/y', 'ab/c']) await upload(path);
      await upload('a');
      await assert.rejects(upload('a/b'), { code: 'PATH_CONFLICT' });
      await assert.rejects(upload('a0'), { code: 'DUPLICATE_PATH' });
      await assert.rejects(upload('a0x'), { code: 'PATH_CONFLICT' });
      const files = await registry.listFiles(pkg.id, { limit: 100 });
      assert.deepEqual(
        files.items.map((file) => file.path),
        ['a', 'a-b/c', 'a.d', 'a0', 'a0x/y', 'ab/c'],
      );
    });

    it('rejects invalid paths on read', async () => {
      const pkg = await newPackage('read-paths');
      for (const path of ['../x', 'a/./b', '/abs', 'a//b']) {
        await assert.rejects(registry.getFile(pkg.id, path), { code: 'INVALID_PATH' }, path);
        await assert.rejects(registry.openFile(pkg.id, path), { code: 'INVALID_PATH' }, path);
      }
      await assert.rejects(registry.getFile(pkg.id, 'missing'), { code: 'FILE_NOT_FOUND' });
    });

    it('lets exactly one of two racing uploads of one path win', async () => {
      const pkg = await newPackage('race');
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((n) =>
          registry.ingestFile({ packageId: pkg.id, path: 'same', body: body(`v${n}`), actor }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') assert.equal(result.reason.code, 'DUPLICATE_PATH');
      }
    });

    it('pages through packages with filters', async () => {
      for (let i = 0; i < 5; i++) {
        await registry.createPackage({ name: 'paged', producer: 'pager', subject: `s${i}`, actor });
      }
      const first = await registry.listPackages({ producer: 'pager', limit: 2 });
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor);
      const rest = await registry.listPackages({
        producer: 'pager',
        limit: 10,
        cursor: first.nextCursor,
      });
      assert.equal(rest.items.length, 3);
      assert.equal(rest.nextCursor, null);
      const subjects = [...first.items, ...rest.items].map((p) => p.subject);
      assert.deepEqual(subjects, ['s0', 's1', 's2', 's3', 's4']);
    });

    it('replay rebuilds identical views', async () => {
      const before = await dumpTables(registry.database.db);
      const result = await registry.replay();
      const events = await registry.listEvents({ limit: 1000 });
      assert.equal(result.lastSeq, events.at(-1)?.seq);
      assert.equal(await dumpTables(registry.database.db), before);
    });
  });
}
