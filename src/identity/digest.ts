import { StoreError } from '../errors/store-error.js';

/** A content address: `blake3:` followed by 64 lowercase hex digits. */
export type Digest = string & { readonly __brand: 'Digest' };

/** The only algorithm the store uses for content addresses. */
export const DIGEST_ALGORITHM = 'blake3';

const DIGEST_PATTERN = /^blake3:[0-9a-f]{64}$/;
const HEX_PATTERN = /^[0-9a-f]{64}$/;

/** Tells whether `value` is a well-formed content address. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/**
 * Parses a content address. Rejects anything but `blake3:<64 lowercase hex>`: no uppercase, no
 * other algorithm, no surrounding whitespace.
 */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new StoreError(
    'INVALID_DIGEST',
    `invalid digest "${shown}": expected "blake3:" followed by 64 lowercase hex digits`,
    { value: shown },
  );
}

/** Formats 32 raw bytes or 64 lowercase hex digits as a content address. */
export function formatDigest(hash: Uint8Array | string): Digest {
  const hex = typeof hash === 'string' ? hash : Buffer.from(hash).toString('hex');
  if (!HEX_PATTERN.test(hex)) {
    throw new StoreError('INVALID_DIGEST', `invalid BLAKE3 hash "${hex}": expected 32 bytes`, {
      value: hex,
    });
  }
  return `${DIGEST_ALGORITHM}:${hex}` as Digest;
}

/** Returns the 64 hex digits of a content address. */
export function digestHex(digest: Digest): string {
  return digest.slice(DIGEST_ALGORITHM.length + 1);
}
