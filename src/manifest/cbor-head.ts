/** CBOR major type of arrays (RFC 8949 section 3.1); the head's argument is the item count. */
export const CBOR_ARRAY = 4;

/** CBOR major type of maps (RFC 8949 section 3.1); the head's argument is the pair count. */
export const CBOR_MAP = 5;

/**
 * Encodes the head of a CBOR data item: the initial byte and the argument (RFC 8949 section 3),
 * in the shortest form that the core deterministic encoding requires (section 4.2.1). Arguments
 * below 24 go into the initial byte, larger ones into the 1, 2, 4 or 8 bytes that follow it.
 * cborg 6 has no public function that writes a head alone, which is why this one exists.
 *
 * @throws RangeError when `majorType` is not 0 to 7 or `argument` is not an integer from 0 to
 *   2^53-1.
 */
export function encodeHead(majorType: number, argument: number): Uint8Array {
  if (!Number.isInteger(majorType) || majorType < 0 || majorType > 7) {
    throw new RangeError(`invalid CBOR major type ${majorType}: expected an integer from 0 to 7`);
  }
  if (!Number.isSafeInteger(argument) || argument < 0) {
    throw new RangeError(
      `invalid CBOR head argument ${argument}: expected an integer from 0 to 2^53-1`,
    );
  }
  const initial = majorType << 5;
  if (argument < 24) return Uint8Array.of(initial | argument);
  if (argument <= 0xff) return Uint8Array.of(initial | 24, argument);

  if (argument <= 0xffff) {
    const head = new Uint8Array(3);
    head[0] = initial | 25;
    new DataView(head.buffer).setUint16(1, argument);
    return head;
  }
  if (argument <= 0xffffffff) {
    const head = new Uint8Array(5);
    head[0] = initial | 26;
    new DataView(head.buffer).setUint32(1, argument);
    return head;
  }
  const head = new Uint8Array(9);
  head[0] = initial | 27;
  new DataView(head.buffer).setBigUint64(1, BigInt(argument));
  return head;
}
