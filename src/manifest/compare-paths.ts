/**
 * Compares two strings by Unicode code point, which is also the byte order of their UTF-8
 * encodings. JavaScript's default sort compares UTF-16 code units instead, and so puts U+10000
 * and above before U+E000–U+FFFF.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const unitA = a.charCodeAt(index);
    const unitB = b.charCodeAt(index);
    if (unitA !== unitB) return codePointRank(unitA) - codePointRank(unitB);
  }
  return a.length - b.length;
}

/**
 * Maps a UTF-16 code unit to a rank that orders like the code point it starts: surrogates
 * (U+D800–U+DFFF, which start code points above U+FFFF) move above U+E000–U+FFFF.
 */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
