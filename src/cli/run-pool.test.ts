import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPool } from './run-pool.js';

describe('runPool', () => {
  it('prints no listener-leak warning at concurrency 32', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const items = Array.from({ length: 64 }, (_, index) => index);
      await runPool(items, 32, new AbortController().signal, async (_item, signal) => {
        // Each call listens on the signal twice, as a stream pipeline and an HTTP request do.
        const listeners = [() => {}, () => {}];
        for (const listener of listeners) signal.addEventListener('abort', listener);
        await new Promise((resolve) => setImmediate(resolve));
        for (const listener of listeners) signal.removeEventListener('abort', listener);
      });
      // Node emits the warning on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
