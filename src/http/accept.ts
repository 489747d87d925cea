/** One media range of an `Accept` header with its weight. */
interface MediaRange {
  type: string;
  subtype: string;
  quality: number;
}

function parseMediaRange(text: string): MediaRange | undefined {
  const [range, ...params] = text.split(';').map((part) => part.trim());
  const match = /^([\w.+*-]+)\/([\w.+*-]+)$/.exec(range ?? '');
  if (match === null) return undefined;

  let quality = 1;
  for (const param of params) {
    const weight = /^q=([01](?:\.\d{0,3})?)$/i.exec(param);
    if (weight !== null) quality = Number(weight[1]);
  }
  return { type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), quality };
}

/** Specificity of `range` for `type/subtype`: -1 when it does not match, 2 for an exact match. */
function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.type === type && range.subtype === subtype) return 2;
  if (range.type === type && range.subtype === '*') return 1;
  if (range.type === '*' && range.subtype === '*') return 0;
  return -1;
}

function qualityOf(ranges: MediaRange[], mediaType: string): number {
  const [type = '', subtype = ''] = mediaType.split('/');
  let best = -1;
  let quality = 0;
  for (const range of ranges) {
    const score = specificity(range, type, subtype);
    if (score > best) {
      best = score;
      quality = range.quality;
    }
  }
  return quality;
}

/**
 * Chooses the media type to send from `offered`, listed in the server's order of preference,
 * under an `Accept` header (RFC 9110 section 12.5.1). The most specific matching range sets each
 * type's weight, the highest weight wins and ties go to the earlier offer. Returns the first
 * offer when the header is absent or empty, and undefined when the client accepts no offer.
 */
export function negotiateMediaType(
  header: string | undefined,
  offered: readonly string[],
): string | undefined {
  if (header === undefined || header.trim() === '') return offered[0];
  const ranges = header
    .split(',')
    .map(parseMediaRange)
    .filter((range) => range !== undefined);

  let chosen: string | undefined;
  let chosenQuality = 0;
  for (const mediaType of offered) {
    const quality = qualityOf(ranges, mediaType);
    if (quality > chosenQuality) {
      chosen = mediaType;
      chosenQuality = quality;
    }
  }
  return chosen;
}
