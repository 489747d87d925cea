import { type DecodeOptions, Tokenizer, Type } from 'cborg';

/** UTF-8 decoder that, unlike the one cborg uses, keeps a leading U+FEFF as part of the text. */
const KEEP_BOM_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

/** Bytes of the length argument after the initial byte, by the initial byte's low 5 bits. */
const LENGTH_ARGUMENT_BYTES: Readonly<Record<number, number>> = { 24: 1, 25: 2, 26: 4, 27: 8 };

/**
 * A cborg tokenizer that keeps a leading U+FEFF in text strings. cborg decodes text with a
 * default TextDecoder, which drops a byte order mark at the start of each string, so a path or
 * metadata key that starts with U+FEFF would come back without it. Every other token is cborg's.
 */
export class TextPreservingTokenizer extends Tokenizer {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, options: DecodeOptions) {
    super(bytes, options);
    this.#bytes = bytes;
  }

  override next() {
    const start = this.pos();
    const token = super.next();
    if (!Type.equals(token.type, Type.string)) return token;

    const minor = (this.#bytes[start] as number) & 0x1f;
    const textStart = start + 1 + (LENGTH_ARGUMENT_BYTES[minor] ?? 0);
    const textEnd = this.pos();
    const bytes = this.#bytes;
    if (
      bytes[textStart] === 0xef &&
      bytes[textStart + 1] === 0xbb &&
      bytes[textStart + 2] === 0xbf
    ) {
      token.value = KEEP_BOM_DECODER.decode(bytes.subarray(textStart, textEnd));
    }
    return token;
  }
}
