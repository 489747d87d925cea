import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logging/logger.js';
import { openRegistry } from '../../src/registry/open-registry.js';

/** Returns a TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('database unavailable over HTTP', () => {
  let dir: string;
  let app: FastifyInstance;
  let url: string;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artifactstore-unavailable-'));
    const config = loadConfig({
      ARTIFACTSTORE_DATABASE_URL: `postgresql://nobody@127.0.0.1:${await closedPort()}/none`,
      ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
      ARTIFACTSTORE_DB_CONNECT_TIMEOUT_MS: '1000',
      ARTIFACTSTORE_PORT: '0',
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean))
          logLines.push(JSON.parse(line));
        done();
      },
    });
    const registry = await openRegistry(config, { migrate: false });
    ({ server: app, url } = await startServer({
      registry,
      config,
      logger: createLogger('info', sink),
    }));
  });

  after(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with a retry hint and a useful detail', async () => {
    const response = await request(`${url}/v1/packages`);
    const body = (await response.body.json()) as { code: string; detail: string };
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '1');
    assert.equal(body.code, 'DATABASE_UNAVAILABLE');
    assert.match(body.detail, /unavailable/);
  });

  it('reports degraded health', async () => {
    const response = await request(`${url}/health`);
    const body = (await response.body.json()) as { status: string; db: string };
    assert.equal(response.statusCode, 503);
    assert.equal(body.status, 'degraded');
    assert.equal(body.db, 'unavailable');
  });

  it('logs repeated outages once at warn', async () => {
    for (let i = 0; i < 5; i++) await (await request(`${url}/v1/packages`)).body.dump();
    const outageLines = logLines.filter((line) => line.code === 'DATABASE_UNAVAILABLE');
    assert.equal(outageLines.length, 1, JSON.stringify(outageLines));
    assert.equal(outageLines[0]?.level, 40);
  });
});
