import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { createLogger } from '../../src/logging/logger.js';
import { startServer } from '../../src/http/server.js';
import { TEST_DATABASES, createTestStore } from '../support/test-store.js';

for (const database of TEST_DATABASES) {
  describe(`HTTP server lifecycle on ${database.kind}`, { skip: database.skip }, () => {
    it('listens on the configured host and closes the registry', async () => {
      const store = await createTestStore(database.kind, {
        ARTIFACTSTORE_HOST: '127.0.0.1',
        ARTIFACTSTORE_PORT: '0',
      });
      try {
        const registry = await store.open();
        const logger = createLogger('silent');
        const { server, url } = await startServer({ registry, config: store.config, logger });
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

        const response = await request(`${url}/health`);
        assert.equal(response.statusCode, 200);
        await response.body.dump();

        await server.close();
        const health = await registry.health();
        assert.equal(health.db, 'unavailable');
        await assert.rejects(request(`${url}/health`));
      } finally {
        await store.cleanup();
      }
    });
  });
}
