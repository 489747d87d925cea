import { StoreError } from '../errors/store-error.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const PERCENT_ESCAPE_PATTERN = /%[0-9A-Fa-f]{2}/;

/**
 * Decodes an `X-Actor` header value as Node.js received it. Node.js reads header bytes as latin1,
 * so raw UTF-8 bytes arrive as one character per byte; when those bytes are valid UTF-8 they are
 * decoded as UTF-8. A value that then contains `%XX` escapes is percent-decoded as UTF-8, which
 * is how the artifactstore client sends every actor (`encodeURIComponent`).
 *
 * @throws StoreError INVALID_ARGUMENT when the value contains a `%XX` escape but is not valid
 *   percent-encoded UTF-8.
 */
export function decodeActorHeader(value: string): string {
  const text = reinterpretAsUtf8(value);
  if (!PERCENT_ESCAPE_PATTERN.test(text)) return text;

  try {
    return decodeURIComponent(text);
  } catch {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `invalid X-Actor header ${JSON.stringify(text.slice(0, 100))}: it contains %XX escapes that are not percent-encoded UTF-8; send the actor percent-encoded with encodeURIComponent`,
      { header: 'x-actor', value: text },
    );
  }
}

function reinterpretAsUtf8(value: string): string {
  // Only characters above U+007F can be the bytes of a multi-byte UTF-8 sequence.
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  try {
    return STRICT_UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}
