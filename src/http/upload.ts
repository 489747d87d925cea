import type { IncomingMessage } from 'node:http';
import { StoreError } from '../errors/store-error.js';
import { type Digest, parseDigest } from '../identity/digest.js';

/** Checks taken from the headers of an upload before any body byte is read. */
export interface UploadHeaders {
  mediaType?: string;
  expectedDigest?: Digest;
  expectedSize?: number;
}

function singleHeader(raw: IncomingMessage, name: string): string | undefined {
  const value = raw.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads the upload headers: the media type, `X-Expected-Digest` (INVALID_DIGEST when malformed)
 * and `Content-Length`, rejected with PAYLOAD_TOO_LARGE when it exceeds `maxUploadBytes`.
 */
export function readUploadHeaders(raw: IncomingMessage, maxUploadBytes: number): UploadHeaders {
  const declared = singleHeader(raw, 'content-length');
  const expectedSize = declared === undefined ? undefined : Number(declared);
  if (expectedSize !== undefined && expectedSize > maxUploadBytes) {
    throw new StoreError(
      'PAYLOAD_TOO_LARGE',
      `upload of ${expectedSize} bytes exceeds the size limit of ${maxUploadBytes} bytes; raise ARTIFACTSTORE_MAX_UPLOAD_BYTES or split the file`,
      { size: expectedSize, limit: maxUploadBytes },
    );
  }

  const digestHeader = singleHeader(raw, 'x-expected-digest');
  const expectedDigest = digestHeader === undefined ? undefined : parseDigest(digestHeader.trim());
  // An upload without Content-Type gets the registry's default media type.
  const mediaType = singleHeader(raw, 'content-type')?.trim() || undefined;
  return { mediaType, expectedDigest, expectedSize };
}

/** An abort signal tied to one request body, and the way to detach it once the upload ends. */
export interface DisconnectSignal {
  signal: AbortSignal;
  release(): void;
}

/**
 * Returns a signal that aborts with UPLOAD_ABORTED when the connection closes before the body was
 * received in full, which happens when the client disconnects mid-upload. It watches the socket
 * rather than the request stream, because the store itself destroys the request stream when it
 * rejects the body (size limit, digest mismatch), and that must keep its own error.
 */
export function abortOnDisconnect(raw: IncomingMessage): DisconnectSignal {
  const controller = new AbortController();
  const socket = raw.socket;
  const onClose = (): void => {
    if (raw.complete) return;
    controller.abort(
      new StoreError(
        'UPLOAD_ABORTED',
        'the client closed the connection before sending the whole body; retry the upload',
      ),
    );
  };
  socket.once('close', onClose);
  return { signal: controller.signal, release: () => socket.off('close', onClose) };
}
