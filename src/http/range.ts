import type { ByteRange } from '../storage/backend.js';

/**
 * Outcome of reading a `Range` header against a representation of known size:
 * - `full`: send the whole representation with 200 (no header, or a header that is ignored),
 * - `partial`: send the inclusive `range` with 206,
 * - `unsatisfiable`: send 416 with `Content-Range: bytes *\/size`.
 */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  | { kind: 'unsatisfiable' };

const FULL: RangeDecision = { kind: 'full' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };
const UNIT_PATTERN = /^\s*bytes\s*=(.*)$/i;
const INT_RANGE_PATTERN = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE_PATTERN = /^-(\d+)$/;

/**
 * Decides how to respond to `Range: <header>` for a representation of `size` bytes (RFC 9110
 * section 14.2). The server honours a single byte range. It ignores, and so serves the whole
 * body with 200, a header that is syntactically invalid, names another unit, or lists more than
 * one range: RFC 9110 allows ignoring Range, and this spares the server multipart/byteranges.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return FULL;
  const unit = UNIT_PATTERN.exec(header);
  if (unit === null) return FULL;

  // The `#` list rule of RFC 9110 section 5.6.1 requires accepting empty list elements.
  const specs = unit[1]!
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length !== 1) return FULL;
  return decideSingleRange(specs[0]!, size);
}

function decideSingleRange(spec: string, size: number): RangeDecision {
  const suffix = SUFFIX_RANGE_PATTERN.exec(spec);
  if (suffix !== null) {
    const length = Number(suffix[1]);
    if (length === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }

  const bounded = INT_RANGE_PATTERN.exec(spec);
  if (bounded === null) return FULL;
  const start = Number(bounded[1]);
  const last = bounded[2] === '' ? Number.POSITIVE_INFINITY : Number(bounded[2]);
  if (last < start) return FULL;
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'partial', range: { start, end: Math.min(last, size - 1) } };
}

/** Formats the `Content-Range` value of a 206 response. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** Formats the `Content-Range` value of a 416 response. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
