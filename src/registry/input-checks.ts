import { StoreError } from '../errors/store-error.js';
import type { ByteRange } from '../storage/backend.js';

/** Media type assumed when an upload names none. */
export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/** `type/subtype` with optional parameters, per RFC 9110 section 8.3.1. */
const MEDIA_TYPE_PATTERN =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=("[^"\\\r\n]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))*$/;

/** Validates a media type, returning it unchanged. */
export function validateMediaType(value: string | undefined): string {
  if (value === undefined || value === '') return DEFAULT_MEDIA_TYPE;
  if (value.length <= 255 && MEDIA_TYPE_PATTERN.test(value)) return value;
  throw new StoreError(
    'INVALID_ARGUMENT',
    `invalid media type ${JSON.stringify(value.slice(0, 100))}: expected "type/subtype", for example "text/plain"`,
    { field: 'mediaType', value: value.slice(0, 100) },
  );
}

/** Validates the actor recorded with an event: 1 to 256 characters, no control characters. */
export function validateActor(value: string): string {
  if (value.length >= 1 && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value))
    return value;
  throw new StoreError(
    'INVALID_ARGUMENT',
    `invalid actor ${JSON.stringify(value.slice(0, 100))}: expected 1 to 256 printable characters`,
    { field: 'actor' },
  );
}

/** Checks an inclusive byte range against an object size. */
export function checkRange(range: ByteRange | undefined, size: number): ByteRange | null {
  if (range === undefined) return null;
  const valid =
    Number.isSafeInteger(range.start) &&
    Number.isSafeInteger(range.end) &&
    range.start >= 0 &&
    range.start <= range.end &&
    range.end < size;
  if (valid) return range;
  throw new StoreError(
    'RANGE_NOT_SATISFIABLE',
    `range ${range.start}-${range.end} is not satisfiable for an object of ${size} bytes`,
    { size, start: range.start, end: range.end },
  );
}
