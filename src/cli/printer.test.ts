import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { StoreError } from '../errors/store-error.js';
import { Printer } from './printer.js';

function capture(json: boolean) {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const printer = new Printer({ json, debug: false, stdout: new PassThrough(), stderr });
  return { printer, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('Printer.error', () => {
  it('names the request id of a server error', () => {
    const { printer, text } = capture(false);
    const err = new StoreError('INTERNAL_ERROR', 'the server failed; report the requestId', {
      requestId: 'req-42',
    });
    printer.error(err);
    assert.equal(
      text(),
      'artifactstore: the server failed; report the requestId (requestId req-42)\n',
    );
  });

  it('prints other errors unchanged', () => {
    const { printer, text } = capture(false);
    printer.error(new StoreError('PACKAGE_NOT_FOUND', 'package x not found', {}));
    assert.equal(text(), 'artifactstore: package x not found\n');
  });
});
