import type { FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from '../errors/store-error.js';
import type { Digest } from '../identity/digest.js';
import type { OpenedObject } from '../registry/records.js';
import type { ByteRange } from '../storage/backend.js';
import { ifNoneMatchHits, ifRangeAllows, strongEtag } from './conditional.js';
import { contentRange, decideRange, type RangeDecision, unsatisfiedContentRange } from './range.js';

/** A file or object about to be downloaded, described before any byte is read. */
export interface DownloadTarget {
  digest: Digest;
  size: number;
  mediaType: string;
  /** Opens the bytes, or only the inclusive `range` of them. */
  open(range?: ByteRange): Promise<OpenedObject>;
  /**
   * Returns a presigned URL of the whole content, or null when storage cannot make one. Absent
   * when presigned downloads are turned off.
   */
  presign?(): Promise<string | null>;
}

function rangeDecision(request: FastifyRequest, etag: string, size: number): RangeDecision {
  // RFC 9110 section 14.2: Range is defined for GET only, and ignored under a failed If-Range.
  if (request.method !== 'GET') return { kind: 'full' };
  const ifRange = request.headers['if-range'];
  if (!ifRangeAllows(Array.isArray(ifRange) ? ifRange[0] : ifRange, etag)) return { kind: 'full' };
  return decideRange(request.headers.range, size);
}

function rangeNotSatisfiable(target: DownloadTarget, header: string | undefined): StoreError {
  return new StoreError(
    'RANGE_NOT_SATISFIABLE',
    `range ${JSON.stringify(header)} is not satisfiable: ${unsatisfiableReason(target, header)}`,
    { range: header, size: target.size },
  );
}

/** States why `decideRange` found no byte to send: an empty file, `bytes=-0`, or a start past the end. */
function unsatisfiableReason(target: DownloadTarget, header = ''): string {
  const { size, digest } = target;
  if (size === 0) {
    return `${digest} is empty (0 bytes), so it has no bytes to range over; request it without a Range header`;
  }
  if (/=[\s,]*-/.test(header)) {
    return `a suffix range must select at least 1 of the ${size} bytes of ${digest}, for example bytes=-1`;
  }
  return `it starts past the end of ${digest}, which is ${size} bytes long; start the range at a byte from 0 to ${size - 1}`;
}

/**
 * Sends a file or object with the download semantics shared by every byte route: a strong ETag
 * (the quoted digest), `X-Content-Digest`, `Accept-Ranges: bytes`, 304 on a matching
 * `If-None-Match`, 206 for one satisfiable byte range and 416 for an unsatisfiable one. HEAD
 * sends the headers of GET and opens nothing.
 */
export async function sendDownload(
  request: FastifyRequest,
  reply: FastifyReply,
  target: DownloadTarget,
): Promise<FastifyReply> {
  const etag = strongEtag(target.digest);
  reply.header('etag', etag).header('x-content-digest', target.digest);
  reply.header('accept-ranges', 'bytes');

  // The media type comes from the uploader. These headers keep a browser from sniffing another
  // type or running uploaded HTML and scripts with the API's origin.
  reply.header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox');
  if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send();

  const redirect = await presignedRedirect(request, reply, target);
  if (redirect !== undefined) return redirect;

  const decision = rangeDecision(request, etag, target.size);
  if (decision.kind === 'unsatisfiable') {
    reply.header('content-range', unsatisfiedContentRange(target.size));
    throw rangeNotSatisfiable(target, request.headers.range);
  }

  reply.type(target.mediaType);
  if (request.method === 'HEAD') {
    return reply.header('content-length', target.size).send();
  }
  return sendBytes(reply, target, decision.kind === 'partial' ? decision.range : undefined);
}

/**
 * Redirects a plain GET with `307` to a presigned URL when the target can presign, so the bytes
 * flow from storage to the client without passing through this server. HEAD and requests with
 * a Range header are served here as before, and so is every request when no URL is available.
 */
async function presignedRedirect(
  request: FastifyRequest,
  reply: FastifyReply,
  target: DownloadTarget,
): Promise<FastifyReply | undefined> {
  if (request.method !== 'GET' || request.headers.range !== undefined) return undefined;
  const url = await target.presign?.();
  if (url === undefined || url === null) return undefined;
  // The URL expires, so neither the redirect nor its Location may be cached.
  return reply.code(307).header('location', url).header('cache-control', 'no-store').send();
}

async function sendBytes(
  reply: FastifyReply,
  target: DownloadTarget,
  range: ByteRange | undefined,
): Promise<FastifyReply> {
  const opened = await target.open(range);
  if (range === undefined) {
    return reply.header('content-length', target.size).send(opened.stream);
  }
  reply.code(206).header('content-range', contentRange(range, target.size));
  return reply.header('content-length', range.end - range.start + 1).send(opened.stream);
}
