import type { Digest } from '../identity/digest.js';

const ENTITY_TAG_PATTERN = /(W\/)?"([^"]*)"/g;

/** Formats a strong entity tag from a content address: `"blake3:<hex>"`. */
export function strongEtag(digest: Digest): string {
  return `"${digest}"`;
}

/** Formats a weak entity tag, for a representation that is equivalent but not byte-identical. */
export function weakEtag(digest: Digest): string {
  return `W/"${digest}"`;
}

function opaqueTags(header: string): string[] {
  return [...header.matchAll(ENTITY_TAG_PATTERN)].map((match) => match[2]!);
}

function opaqueTag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * Tells whether an `If-None-Match` header matches `etag`, using the weak comparison that RFC 9110
 * section 13.1.2 prescribes: `*` matches anything, and `W/` prefixes are ignored.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return opaqueTags(header).includes(opaqueTag(etag));
}

/**
 * Tells whether a `Range` request may be honoured under `If-Range` (RFC 9110 section 13.1.5).
 * Only a strong entity tag equal to `etag` allows it. A date never does, because these responses
 * carry no `Last-Modified`.
 */
export function ifRangeAllows(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('W/') || etag.startsWith('W/')) return false;
  return value === etag;
}
