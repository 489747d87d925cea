import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStoreError } from '../../errors/store-error.js';
import { type Digest, formatDigest } from '../../identity/digest.js';
import { digestOf } from '../../identity/hasher.js';
import type { StorageBackend } from '../backend.js';

/** One backend under test, with probes into the storage behind it. */
export interface BackendFixture {
  /** The backend, already initialised. */
  readonly backend: StorageBackend;
  /** Names of unfinished writes: temp files, staging keys and open multipart uploads. */
  leftovers(): Promise<string[]>;
  /** Leaves behind the traces of a write that a crash interrupted. */
  plantLeftovers(): Promise<void>;
  /**
   * Opens and initialises a second backend over the same storage, as a restarted process would,
   * configured so that every existing leftover counts as stale.
   */
  reopen(): Promise<StorageBackend>;
  /** Closes the backends and removes the storage the fixture created. */
  dispose(): Promise<void>;
}

/** Creates a fresh, empty fixture; called once per test case. */
export type BackendFixtureFactory = () => Promise<BackendFixture>;

/** S3 multipart part size of the S3 backend; the suite writes objects at this boundary. */
const PART_SIZE = 8 * 1024 * 1024;

/** Maximum wait for a stalled upload to leave a trace, in milliseconds. */
const TRACE_TIMEOUT_MS = 5_000;

/**
 * Registers the storage SPI contract tests under `describe(name)`. Every backend must pass all of
 * them; `makeFixture` gives each case its own empty storage.
 */
export function runBackendConformance(name: string, makeFixture: BackendFixtureFactory): void {
  describe(`storage conformance: ${name}`, () => {
    const context = new FixtureContext(makeFixture);
    beforeEach(() => context.setUp());
    afterEach(() => context.tearDown());

    describePutAndRead(context);
    describeRanges(context);
    describeMissingObjects(context);
    describeIdempotence(context);
    describeFailedPuts(context);
    describeListing(context);
    describeMaintenance(context);
  });
}

class FixtureContext {
  readonly #make: BackendFixtureFactory;
  #fixture: BackendFixture | undefined;

  constructor(make: BackendFixtureFactory) {
    this.#make = make;
  }

  get fixture(): BackendFixture {
    assert.ok(this.#fixture, 'fixture is set up before each test');
    return this.#fixture;
  }

  get backend(): StorageBackend {
    return this.fixture.backend;
  }

  async setUp(): Promise<void> {
    this.#fixture = await this.#make();
  }

  async tearDown(): Promise<void> {
    await this.#fixture?.dispose();
    this.#fixture = undefined;
  }
}

function describePutAndRead(context: FixtureContext): void {
  const cases: Array<[string, number]> = [
    ['empty object', 0],
    ['1-byte object', 1],
    ['object of exactly one part size', PART_SIZE],
    ['object one byte over one part size', PART_SIZE + 1],
  ];
  describe('put and read back', () => {
    for (const [title, size] of cases) {
      it(title, async () => {
        const bytes = randomBytes(size);
        const result = await context.backend.put(Readable.from([bytes]));
        assert.equal(result.digest, digestOf(bytes));
        assert.equal(result.size, size);
        assert.equal(result.created, true);
        assert.deepEqual(await context.backend.stat(result.digest), { size });
        assert.equal(await context.backend.exists(result.digest), true);
        const read = await buffer(await context.backend.open(result.digest));
        assert.ok(read.equals(bytes), `read back ${read.length} bytes, expected ${size}`);
      });
    }

    it('source of many small chunks', async () => {
      const chunks = Array.from({ length: 300 }, (_, index) => Buffer.alloc(1000, index % 251));
      const result = await context.backend.put(Readable.from(chunks));
      assert.equal(result.digest, digestOf(Buffer.concat(chunks)));
      assert.equal(result.size, 300_000);
    });

    it('expected digest and size that match', async () => {
      const bytes = randomBytes(4096);
      const options = { expectedDigest: digestOf(bytes), expectedSize: 4096, maxSize: 4096 };
      const result = await context.backend.put(Readable.from([bytes]), options);
      assert.equal(result.created, true);
    });

    it('delete of a stored object', async () => {
      const { digest } = await context.backend.put(Readable.from([Buffer.from('to delete')]));
      assert.equal(await context.backend.delete(digest), true);
      assert.equal(await context.backend.exists(digest), false);
      assert.equal(await context.backend.delete(digest), false);
    });
  });
}

function describeRanges(context: FixtureContext): void {
  describe('range reads', () => {
    const bytes = randomBytes(PART_SIZE + 1);
    const size = bytes.length;
    const ranges: Array<[string, number, number]> = [
      ['range at the end', size - 100, size - 1],
      ['last byte', size - 1, size - 1],
      ['range of one byte', 12_345, 12_345],
      ['first byte', 0, 0],
      ['range across the part boundary', PART_SIZE - 10, PART_SIZE],
      ['whole-object range', 0, size - 1],
    ];
    for (const [title, start, end] of ranges) {
      it(title, async () => {
        const { digest } = await context.backend.put(Readable.from([bytes]));
        const read = await buffer(await context.backend.open(digest, { start, end }));
        assert.equal(read.length, end - start + 1);
        assert.ok(read.equals(bytes.subarray(start, end + 1)), `bytes ${start}-${end} differ`);
      });
    }
  });
}

function describeMissingObjects(context: FixtureContext): void {
  describe('missing object', () => {
    const missing = digestOf('never stored');

    it('open throws OBJECT_NOT_FOUND', async () => {
      await assert.rejects(context.backend.open(missing), (err: unknown) => {
        assert.ok(isStoreError(err, 'OBJECT_NOT_FOUND'), `got ${String(err)}`);
        assert.match(err.message, new RegExp(missing));
        return true;
      });
    });

    it('ranged open throws OBJECT_NOT_FOUND', async () => {
      const opened = context.backend.open(missing, { start: 0, end: 0 });
      await assert.rejects(opened, (err: unknown) => isStoreError(err, 'OBJECT_NOT_FOUND'));
    });

    it('stat returns null', async () => {
      assert.equal(await context.backend.stat(missing), null);
    });

    it('exists returns false', async () => {
      assert.equal(await context.backend.exists(missing), false);
    });

    it('delete returns false', async () => {
      assert.equal(await context.backend.delete(missing), false);
    });
  });
}

function describeIdempotence(context: FixtureContext): void {
  describe('idempotent put', () => {
    it('put twice reports created false', async () => {
      const bytes = randomBytes(1000);
      const first = await context.backend.put(Readable.from([bytes]));
      const second = await context.backend.put(Readable.from([bytes]));
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.digest, first.digest);
      assert.equal(second.size, 1000);
      assert.deepEqual(await context.fixture.leftovers(), []);
    });

    it('8 concurrent puts of equal bytes', async () => {
      const bytes = randomBytes(256 * 1024);
      const puts = Array.from({ length: 8 }, () => context.backend.put(Readable.from([bytes])));
      const results = await Promise.all(puts);
      for (const result of results) assert.equal(result.digest, digestOf(bytes));
      assert.ok(
        results.some((result) => result.created),
        'at least one put created the object',
      );
      const page = await context.backend.list();
      assert.deepEqual(page.items, [{ digest: digestOf(bytes), size: bytes.length }]);
      const read = await buffer(await context.backend.open(digestOf(bytes)));
      assert.ok(read.equals(bytes));
      assert.deepEqual(await context.fixture.leftovers(), []);
    });
  });
}

function describeFailedPuts(context: FixtureContext): void {
  describe('failed put leaves nothing', () => {
    it('expected digest mismatch', async () => {
      const bytes = randomBytes(2048);
      const wrong = formatDigest('0'.repeat(64));
      const put = context.backend.put(Readable.from([bytes]), { expectedDigest: wrong });
      await assert.rejects(put, (err: unknown) => {
        assert.ok(isStoreError(err, 'DIGEST_MISMATCH'), `got ${String(err)}`);
        assert.ok(err.message.includes(wrong), 'message shows the expected digest');
        assert.ok(err.message.includes(digestOf(bytes)), 'message shows the actual digest');
        return true;
      });
      await assertNothingStored(context, digestOf(bytes));
    });

    it('expected size mismatch', async () => {
      const bytes = randomBytes(2048);
      const put = context.backend.put(Readable.from([bytes]), { expectedSize: 2047 });
      await assert.rejects(put, (err: unknown) => isStoreError(err, 'SIZE_MISMATCH'));
      await assertNothingStored(context, digestOf(bytes));
    });

    it('maxSize exceeded', async () => {
      const bytes = randomBytes(PART_SIZE + 1);
      const put = context.backend.put(Readable.from([bytes]), { maxSize: PART_SIZE });
      await assert.rejects(put, (err: unknown) => isStoreError(err, 'PAYLOAD_TOO_LARGE'));
      await assertNothingStored(context, digestOf(bytes));
    });

    it('source stream that errors halfway', async () => {
      const source = new StallingSource(PART_SIZE + 1024 * 1024);
      const put = context.backend.put(source);
      await waitUntilHalfway(context.fixture, source);
      source.destroy(new Error('source broke halfway'));
      await assert.rejects(put, (err: unknown) => isStoreError(err, 'UPLOAD_ABORTED'));
      await assertNothingStored(context);
    });

    it('abort via signal halfway', async () => {
      const source = new StallingSource(PART_SIZE + 1024 * 1024);
      const controller = new AbortController();
      const put = context.backend.put(source, { signal: controller.signal });
      await waitUntilHalfway(context.fixture, source);
      controller.abort();
      await assert.rejects(put, (err: unknown) => isStoreError(err, 'UPLOAD_ABORTED'));
      await assertNothingStored(context);
    });

    it('signal aborted before the put', async () => {
      const controller = new AbortController();
      controller.abort();
      const put = context.backend.put(Readable.from([Buffer.from('late')]), {
        signal: controller.signal,
      });
      await assert.rejects(put, (err: unknown) => isStoreError(err, 'UPLOAD_ABORTED'));
      await assertNothingStored(context, digestOf('late'));
    });
  });
}

function describeListing(context: FixtureContext): void {
  describe('list', () => {
    it('empty store', async () => {
      assert.deepEqual(await context.backend.list(), { items: [] });
    });

    it('pagination across pages', async () => {
      const stored = await putObjects(context.backend, 5);
      const first = await context.backend.list({ limit: 2 });
      assert.ok(first.next, 'first page has a cursor');
      const second = await context.backend.list({ limit: 2, after: first.next });
      assert.ok(second.next, 'second page has a cursor');
      const third = await context.backend.list({ limit: 2, after: second.next });
      assert.equal(third.next, undefined);
      assert.equal(first.items.length, 2);
      assert.equal(second.items.length, 2);
      assert.equal(third.items.length, 1);
      const listed = [...first.items, ...second.items, ...third.items];
      assert.deepEqual(listed, stored);
    });

    it('page exactly as long as the rest', async () => {
      const stored = await putObjects(context.backend, 3);
      const page = await context.backend.list({ limit: 3 });
      assert.deepEqual(page.items, stored);
      assert.equal(page.next, undefined);
    });

    it('after the last digest', async () => {
      const stored = await putObjects(context.backend, 2);
      const last = stored[stored.length - 1]!.digest;
      assert.deepEqual(await context.backend.list({ after: last }), { items: [] });
    });

    it('invalid limit', async () => {
      const listed = context.backend.list({ limit: 0 });
      await assert.rejects(listed, (err: unknown) => isStoreError(err, 'INVALID_ARGUMENT'));
    });
  });
}

function describeMaintenance(context: FixtureContext): void {
  describe('health and init', () => {
    it('health ok', async () => {
      assert.deepEqual(await context.backend.health(), { ok: true });
      assert.deepEqual(await context.fixture.leftovers(), []);
    });

    it('init removes stale leftovers', async () => {
      const { digest } = await context.backend.put(Readable.from([Buffer.from('kept')]));
      await context.fixture.plantLeftovers();
      assert.notDeepEqual(await context.fixture.leftovers(), [], 'leftovers were planted');
      const restarted = await context.fixture.reopen();
      assert.deepEqual(await context.fixture.leftovers(), []);
      assert.equal(await restarted.exists(digest), true);
    });

    it('init twice', async () => {
      const restarted = await context.fixture.reopen();
      await restarted.init();
      assert.deepEqual(await restarted.health(), { ok: true });
    });
  });
}

/** Source that emits `size` pseudo-random bytes and then stalls without ending. */
class StallingSource extends Readable {
  #remaining: number;

  constructor(size: number) {
    super({ highWaterMark: 1024 * 1024 });
    this.#remaining = size;
  }

  /** True once every byte has been handed to the consumer's buffer. */
  get exhausted(): boolean {
    return this.#remaining === 0;
  }

  override _read(): void {
    if (this.#remaining === 0) return;
    const chunk = randomBytes(Math.min(this.#remaining, 1024 * 1024));
    this.#remaining -= chunk.length;
    this.push(chunk);
  }
}

/** Waits until the put has read all of `source` and left a trace of its unfinished write. */
async function waitUntilHalfway(fixture: BackendFixture, source: StallingSource): Promise<void> {
  const deadline = Date.now() + TRACE_TIMEOUT_MS;
  while (!source.exhausted || (await fixture.leftovers()).length === 0) {
    assert.ok(Date.now() < deadline, `no write in progress after ${TRACE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

async function assertNothingStored(context: FixtureContext, digest?: Digest): Promise<void> {
  if (digest !== undefined) assert.equal(await context.backend.exists(digest), false);
  assert.deepEqual((await context.backend.list()).items, []);
  assert.deepEqual(await context.fixture.leftovers(), []);
}

async function putObjects(
  backend: StorageBackend,
  count: number,
): Promise<Array<{ digest: Digest; size: number }>> {
  const stored: Array<{ digest: Digest; size: number }> = [];
  for (let index = 0; index < count; index += 1) {
    const { digest, size } = await backend.put(Readable.from([randomBytes(10 + index)]));
    stored.push({ digest, size });
  }
  return stored.sort((a, b) => (a.digest < b.digest ? -1 : 1));
}
