import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/connection.js';
import { ContentHasher, digestOf } from '../../src/identity/hasher.js';
import { startServerProcess } from '../support/processes.js';
import { listTempFiles } from '../support/temp-files.js';

const MIB = 1024 * 1024;
const LARGE_UPLOAD_BYTES = 512 * MIB;
const KILL_AFTER_BYTES = 64 * MIB;
const ROUNDS = 3;

interface Acknowledged {
  packageId: string;
  path: string;
  digest: string;
}

/** A deterministic body of `size` bytes that counts what was read from it. */
function largeBody(seed: Buffer, size: number, onProgress: (sent: number) => void): Readable {
  let sent = 0;
  let index = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const chunk = Buffer.from(seed);
      chunk.writeUInt32BE(index++, 0);
      const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
      sent += part.length;
      onProgress(sent);
      this.push(part);
    },
  });
}

function digestOfLargeBody(seed: Buffer, size: number) {
  const hasher = new ContentHasher();
  for (let sent = 0, index = 0; sent < size; index++) {
    const chunk = Buffer.from(seed);
    chunk.writeUInt32BE(index, 0);
    const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
    hasher.update(part);
    sent += part.length;
  }
  return hasher.digest();
}

async function jsonRequest(url: string, method: 'POST' | 'GET', body?: unknown) {
  const response = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: (await response.body.json()) as { id: string } };
}

async function hashDownload(url: string): Promise<{ status: number; digest?: string }> {
  const response = await request(url);
  if (response.statusCode !== 200) {
    await response.body.dump();
    return { status: response.statusCode };
  }
  const hasher = new ContentHasher();
  for await (const chunk of response.body) hasher.update(chunk as Buffer);
  return { status: 200, digest: hasher.digest() };
}

/** Uploads small files until stopped, recording each one the server acknowledged. */
async function smallUploads(base: string, acked: Acknowledged[], stop: { now: boolean }) {
  for (let round = 0; !stop.now && round < 500; round++) {
    const pkg = await jsonRequest(`${base}/v1/packages`, 'POST', {
      name: `crash-${round}`,
      producer: 'crash-test',
      subject: 'kill -9',
    });
    if (pkg.status !== 201) return;
    const uploads = [0, 1, 2, 3].map(async (n) => {
      const bytes = randomBytes(1024 + Math.floor(Math.random() * 2 * MIB));
      const path = `dir${n}/file-${round}.bin`;
      const response = await request(`${base}/v1/packages/${pkg.body.id}/files/${path}`, {
        method: 'PUT',
        body: bytes,
      });
      await response.body.dump();
      if (response.statusCode === 201) {
        acked.push({ packageId: pkg.body.id, path, digest: digestOf(bytes) });
      }
    });
    await Promise.allSettled(uploads);
  }
}

async function listObjectFiles(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'blake3'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('crash recovery after kill -9', { timeout: 600_000 }, () => {
  let dir: string;
  let env: Record<string, string>;
  const acked: Acknowledged[] = [];
  const interrupted: Array<{ packageId: string; path: string; digest: string }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artifactstore-crash-'));
    env = {
      ARTIFACTSTORE_DATABASE_URL: `sqlite:${join(dir, 'store.db')}`,
      ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
    };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps acknowledged writes and exposes no torn or interrupted object', async () => {
    let roundsWithTempFiles = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServerProcess(env);
      const seed = randomBytes(MIB);
      const largeDigest = digestOfLargeBody(seed, LARGE_UPLOAD_BYTES);
      const pkg = await jsonRequest(`${server.url}/v1/packages`, 'POST', {
        name: `large-${round}`,
        producer: 'crash-test',
        subject: 'kill -9',
      });
      const path = `large-${round}.bin`;
      interrupted.push({ packageId: pkg.body.id, path, digest: largeDigest });

      const stop = { now: false };
      // The kill makes the uploads fail; handle that at once so no rejection goes unhandled.
      const small = smallUploads(server.url, acked, stop).catch(() => {});
      const killed = new Promise<void>((resolve) => {
        const body = largeBody(seed, LARGE_UPLOAD_BYTES, (sent) => {
          if (sent >= KILL_AFTER_BYTES && !stop.now) {
            stop.now = true;
            server.child.kill('SIGKILL');
            resolve();
          }
        });
        request(`${server.url}/v1/packages/${pkg.body.id}/files/${path}`, { method: 'PUT', body })
          .then((response) => response.body.dump())
          .catch(() => {});
      });
      // Let the small uploads build up before the large one reaches the kill threshold.
      await sleep(200 + Math.random() * 800);
      await killed;
      await small;
      await server.stop('SIGKILL');

      const storageRoot = env.ARTIFACTSTORE_STORAGE_LOCAL_ROOT as string;
      if ((await listTempFiles(storageRoot)).length > 0) roundsWithTempFiles++;

      // Before any restart: every published object is whole.
      for (const file of await listObjectFiles(env.ARTIFACTSTORE_STORAGE_LOCAL_ROOT as string)) {
        const hasher = new ContentHasher();
        for await (const chunk of createReadStream(file)) hasher.update(chunk as Buffer);
        assert.equal(hasher.digest(), `blake3:${basename(file)}`, `torn object ${file}`);
      }
    }

    // The kill must have hit a write in progress, or the checks below prove nothing.
    assert.ok(roundsWithTempFiles > 0, 'no kill interrupted a write in progress');
    const server = await startServerProcess(env);
    try {
      const leftovers = await listTempFiles(env.ARTIFACTSTORE_STORAGE_LOCAL_ROOT as string);
      assert.deepEqual(leftovers, [], 'temp files remain after restart');
      assert.ok(acked.length > 0, 'no upload was acknowledged before the kills');
      for (const file of acked) {
        const url = `${server.url}/v1/packages/${file.packageId}/files/${file.path}`;
        assert.deepEqual(await hashDownload(url), { status: 200, digest: file.digest }, url);
      }
      for (const lost of interrupted) {
        const object = await request(`${server.url}/v1/objects/${lost.digest}`, { method: 'HEAD' });
        assert.equal(object.statusCode, 404, 'the interrupted upload is visible as an object');
        const fileUrl = `${server.url}/v1/packages/${lost.packageId}/files/${lost.path}`;
        assert.equal((await request(fileUrl, { method: 'HEAD' })).statusCode, 404);
      }
    } finally {
      await server.stop();
    }

    const store = openDatabase(loadConfig(env));
    try {
      const events = await store.db
        .selectFrom('events')
        .select(['seq', 'payload'])
        .orderBy('seq')
        .execute();
      events.forEach((event, index) => {
        assert.equal(Number(event.seq), index + 1);
      });
      for (const lost of interrupted) {
        assert.ok(
          !events.some((event) => event.payload.includes(lost.digest)),
          'event names the lost upload',
        );
        assert.ok(
          !events.some((event) => event.payload.includes(lost.path)),
          'event names the lost path',
        );
      }
      const files = await store.db.selectFrom('artifact_files').select('digest').execute();
      const onDisk = new Set(
        (await listObjectFiles(env.ARTIFACTSTORE_STORAGE_LOCAL_ROOT as string)).map(
          (f) => `blake3:${basename(f)}`,
        ),
      );
      for (const file of files)
        assert.ok(onDisk.has(file.digest), `row without bytes: ${file.digest}`);
    } finally {
      await store.close();
    }
  });
});
