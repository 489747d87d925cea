import { type DecodeOptions, decode, encode, rfc8949EncodeOptions, Tokenizer, Type } from 'cborg';
import { StoreError } from '../errors/store-error.js';
import type { Manifest } from './manifest.js';
import { TextPreservingTokenizer } from './text-tokenizer.js';
import { validateManifest } from './manifest-schema.js';

/**
 * Strict decoding: rejects non-minimal integer and length encodings, duplicate map keys,
 * indefinite lengths, undefined, NaN, infinities, integers beyond 2^53-1, tags and trailing
 * bytes. It does not reject unsorted map keys or floats wider than needed, so `decodeManifest`
 * also re-encodes and compares bytes.
 */
const STRICT_DECODE_OPTIONS: DecodeOptions = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  coerceUndefinedToNull: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: false,
  tags: {},
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes a manifest with the core deterministic encoding of RFC 8949 (section 4.2.1): map keys
 * sorted by their encoded bytes, shortest integer, length and float forms, definite lengths.
 * Equal manifests always give equal bytes.
 *
 * @throws StoreError INVALID_MANIFEST when `manifest` breaks the schema; such bytes would not
 *   decode.
 */
export function encodeManifest(manifest: Manifest): Uint8Array {
  return encode(validateManifest(manifest), rfc8949EncodeOptions);
}

/**
 * Decodes and validates manifest bytes. Accepts only the exact bytes that `encodeManifest`
 * writes for the decoded manifest, so every manifest has one encoding and one digest.
 *
 * @throws StoreError INVALID_MANIFEST when the bytes are not strict CBOR, not in canonical form,
 *   or not a valid `artifactstore.manifest.v1` manifest. The message names the problem.
 */
export function decodeManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    const tokenizer = new TextPreservingTokenizer(bytes, STRICT_DECODE_OPTIONS);
    value = decode(bytes, { ...STRICT_DECODE_OPTIONS, tokenizer });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError(
      'INVALID_MANIFEST',
      `invalid manifest: the bytes are not strict CBOR (${reason})`,
      { problem: 'not-strict-cbor' },
      err,
    );
  }
  requireCanonical(bytes, encode(value, rfc8949EncodeOptions));
  return validateManifest(value);
}

function requireCanonical(bytes: Uint8Array, canonical: Uint8Array): void {
  const offset = firstDifference(bytes, canonical);
  if (offset === -1) return;

  const problem = describeNonCanonical(bytes);
  throw new StoreError(
    'INVALID_MANIFEST',
    `invalid manifest: the CBOR is not in RFC 8949 core deterministic encoding ` +
      `(first difference at byte ${offset}): ${problem}`,
    { problem: 'not-canonical', offset },
  );
}

/** Returns the first offset where the two byte arrays differ, or -1 when they are equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    if (a[index] !== b[index]) return index;
  }
  return a.length === b.length ? -1 : length;
}

/**
 * Names the first token that re-encodes differently: a float wider than needed, an integral
 * value written as a float, or a text string that is not valid UTF-8. When every token is
 * canonical on its own, the difference must come from the order of map keys.
 */
function describeNonCanonical(bytes: Uint8Array): string {
  const tokenizer = new Tokenizer(bytes, { ...STRICT_DECODE_OPTIONS, retainStringBytes: true });
  while (!tokenizer.done()) {
    const offset = tokenizer.pos();
    const token = tokenizer.next();

    if (Type.equals(token.type, Type.float)) {
      const shortest = encode(token.value, rfc8949EncodeOptions).length;
      if (token.encodedLength !== shortest) {
        return (
          `the number ${token.value} at byte ${offset} is not in its shortest form; write ` +
          'integral values as integers and other floats as the shortest of float16, float32 ' +
          'and float64 that keeps the value'
        );
      }
    }
    if (Type.equals(token.type, Type.string) && !isUtf8(token.byteValue)) {
      return `the text string at byte ${offset} is not valid UTF-8`;
    }
  }
  return 'map keys are not sorted by the bytes of their encoding';
}

function isUtf8(bytes: Uint8Array | undefined): boolean {
  if (bytes === undefined) return true;
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
