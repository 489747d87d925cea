import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

// biome-ignore lint/suspicious/noExplicitAny: log lines are read loosely and asserted on
type Loose = any;

function capture(): { lines: Array<Record<string, Loose>>; sink: Writable } {
  const lines: Array<Record<string, Loose>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, sink };
}

describe('createLogger', () => {
  it('writes minimal base fields', () => {
    const { lines, sink } = capture();
    createLogger('info', sink).info('started');
    assert.equal(lines.length, 1);
    assert.deepEqual(Object.keys(lines[0]!).sort(), ['level', 'msg', 'pid', 'time']);
    assert.match(lines[0]!.time, /^\d{4}-\d{2}-\d{2}T/);
  });

  it('honours the level', () => {
    const { lines, sink } = capture();
    const logger = createLogger('warn', sink);
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['shown'],
    );
  });

  it('redacts the S3 secret at any depth', () => {
    const { lines, sink } = capture();
    createLogger('info', sink).info(
      {
        secretAccessKey: 'top',
        s3: { secretAccessKey: 'one' },
        config: { storage: { s3: { secretAccessKey: 'three', bucket: 'b' } } },
      },
      'config',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['"top"', '"one"', '"three"']) assert.equal(text.includes(secret), false);
    assert.equal(lines[0]!.config.storage.s3.bucket, 'b');
  });

  it('serializes requests without headers', () => {
    const { lines, sink } = capture();
    const req = {
      method: 'GET',
      url: '/x',
      ip: '127.0.0.1',
      headers: { authorization: 'Bearer secret' },
    };
    createLogger('info', sink).info({ req }, 'incoming');
    assert.deepEqual(lines[0]!.req, { method: 'GET', url: '/x', remoteAddress: '127.0.0.1' });
  });
});
