import { StoreError } from '../errors/store-error.js';

/** Maximum length of a file path inside a package, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;

/** Name of each path rule, as reported in `details.rule` of an INVALID_PATH error. */
export type PathRule =
  | 'not-a-string'
  | 'empty'
  | 'lone-surrogate'
  | 'control-character'
  | 'backslash'
  | 'too-long'
  | 'absolute'
  | 'empty-segment'
  | 'trailing-slash'
  | 'dot-segment'
  | 'not-nfc';

/** C0 controls, DEL and C1 controls: U+0000–U+001F, U+007F–U+009F. */
export const CONTROL_CHARACTER_PATTERN = /[\u0000-\u001f\u007f-\u009f]/u;

/** A UTF-16 surrogate that is not part of a pair, so the string has no UTF-8 encoding. */
export const LONE_SURROGATE_PATTERN = /\p{Cs}/u;

const MAX_SHOWN_CHARS = 200;

/**
 * Quotes `text` for an error message: JSON string syntax, with DEL and C1 controls also escaped
 * so that every control character is visible. Cuts text longer than 200 UTF-16 code units.
 */
export function quoteForMessage(text: string): string {
  const cut = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f]/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Validates a file path inside a package and returns it unchanged. A valid path is a non-empty,
 * well-formed Unicode string in NFC, at most 1024 UTF-8 bytes, made of `/`-separated segments
 * that are neither empty, `.` nor `..`, with no leading `/`, no backslash and no control
 * characters. Paths are never rewritten, so a path in another normalization form is rejected.
 *
 * @throws StoreError INVALID_PATH naming the path and the rule broken (`details.rule`).
 */
export function validateRelativePath(path: string): string {
  if (typeof path !== 'string') {
    throw new StoreError('INVALID_PATH', `invalid path: expected a string, got ${typeof path}`, {
      rule: 'not-a-string',
    });
  }
  const broken = findBrokenRule(path);
  if (broken !== undefined) throw invalidPath(path, broken.rule, broken.reason);
  return path;
}

/**
 * Returns the proper directory prefixes of a valid path, shortest first: `a/b/c` gives
 * `['a', 'a/b']`, and a single-segment path gives `[]`.
 */
export function pathPrefixes(path: string): string[] {
  const segments = path.split('/');
  const prefixes: string[] = [];
  for (let end = 1; end < segments.length; end++) {
    prefixes.push(segments.slice(0, end).join('/'));
  }
  return prefixes;
}

interface BrokenRule {
  rule: PathRule;
  reason: string;
}

function findBrokenRule(path: string): BrokenRule | undefined {
  if (path.length === 0) {
    return { rule: 'empty', reason: 'the path is empty; give the file a name such as "dir/file"' };
  }

  if (LONE_SURROGATE_PATTERN.test(path)) {
    return {
      rule: 'lone-surrogate',
      reason: 'contains a lone UTF-16 surrogate (not valid UTF-8); send the name as valid UTF-8',
    };
  }
  const control = CONTROL_CHARACTER_PATTERN.exec(path);
  if (control !== null) {
    const codePoint = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return {
      rule: 'control-character',
      reason: `contains the control character U+${codePoint}; rename the file without it`,
    };
  }
  if (path.includes('\\')) {
    return { rule: 'backslash', reason: 'contains a backslash; separate segments with "/"' };
  }
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_PATH_BYTES) {
    return {
      rule: 'too-long',
      reason: `is ${bytes} UTF-8 bytes, over the ${MAX_PATH_BYTES} limit; use a shorter path`,
    };
  }

  return findBrokenSegmentRule(path) ?? findNormalizationRule(path);
}

function findBrokenSegmentRule(path: string): BrokenRule | undefined {
  if (path.startsWith('/')) {
    return { rule: 'absolute', reason: 'starts with "/"; paths are relative to the package' };
  }
  if (path.endsWith('/')) {
    return { rule: 'trailing-slash', reason: 'ends with "/"; name the file, not its directory' };
  }

  const segments = path.split('/');
  if (segments.includes('')) {
    return {
      rule: 'empty-segment',
      reason: 'contains an empty segment ("//"); separate segments with a single "/"',
    };
  }
  const dot = segments.find((segment) => segment === '.' || segment === '..');
  if (dot !== undefined) {
    return {
      rule: 'dot-segment',
      reason: `contains a "${dot}" segment; give the path from the package root without "." or ".."`,
    };
  }
  return undefined;
}

function findNormalizationRule(path: string): BrokenRule | undefined {
  if (path.normalize('NFC') === path) return undefined;
  return {
    rule: 'not-nfc',
    reason: 'is not in Unicode normalization form C (NFC); normalize it before sending',
  };
}

function invalidPath(path: string, rule: PathRule, reason: string): StoreError {
  // The quoting belongs to the message only: details carry the path as it was received.
  const shown = quoteForMessage(path);
  return new StoreError('INVALID_PATH', `invalid path ${shown}: ${reason}`, { path, rule });
}
