import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStoreError } from '../errors/store-error.js';
import {
  MAX_PATH_BYTES,
  type PathRule,
  pathPrefixes,
  quoteForMessage,
  validateRelativePath,
} from './relative-path.js';

/** Runs the validator and returns the rule it reports, or undefined when it accepts the path. */
function brokenRule(path: string): PathRule | undefined {
  try {
    validateRelativePath(path);
    return undefined;
  } catch (err) {
    assert.ok(isStoreError(err, 'INVALID_PATH'), `expected INVALID_PATH, got ${String(err)}`);
    return err.details.rule as PathRule;
  }
}

// Each rule is checked here on its own, by code point, without the module's patterns.
function isWellFormedUtf16(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xdc00 && unit <= 0xdfff) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      index++;
    }
  }
  return true;
}

function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => {
    const codePoint = char.codePointAt(0)!;
    return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f);
  });
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

const ORACLE_RULES: Array<[string, (path: string) => boolean]> = [
  ['non-empty', (path) => path.length > 0],
  ['well-formed UTF-16', isWellFormedUtf16],
  ['NFC', (path) => path.normalize('NFC') === path],
  ['at most 1024 UTF-8 bytes', (path) => utf8Length(path) <= 1024],
  ['not absolute', (path) => !path.startsWith('/')],
  ['no empty segment', (path) => path.split('/').every((segment) => segment !== '')],
  ['no dot segment', (path) => path.split('/').every((s) => s !== '.' && s !== '..')],
  ['no backslash', (path) => !path.includes('\\')],
  ['no control character', (path) => !hasControlCharacter(path)],
];

function satisfiesEveryRule(path: string): boolean {
  return isWellFormedUtf16(path) && ORACLE_RULES.every(([, holds]) => holds(path));
}

/** Characters that often break a rule, mixed with ordinary and astral ones. */
const TRICKY_CHARS = [
  'a',
  'B',
  '7',
  '-',
  '_',
  '/',
  '.',
  '\\',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  'é',
  'e\u0301',
  '\u212b',
  '\ud800',
  '\udfff',
  '\u{1f600}',
  '\u{10ffff}',
  '\ufeff',
  ' ',
];

const anyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...TRICKY_CHARS), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 1100 }),
);

const segment = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('a', 'z', '0', '.', '-'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 12,
  })
  .map((text) => text.normalize('NFC'))
  .filter((text) => brokenRule(text) === undefined);

/** Valid paths of at most 200 UTF-8 bytes, so that one added character stays under the limit. */
const validPath = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((segments) => segments.join('/'))
  .filter((path) => utf8Length(path) <= 200 && brokenRule(path) === undefined);

function insertAt(path: string, position: number, text: string): string {
  const chars = [...path];
  const index = position % (chars.length + 1);
  return [...chars.slice(0, index), text, ...chars.slice(index)].join('');
}

function insertSegment(path: string, position: number, text: string): string {
  const segments = path.split('/');
  const index = position % (segments.length + 1);
  return [...segments.slice(0, index), text, ...segments.slice(index)].join('/');
}

/** For each rule, an arbitrary of paths that break that rule and no rule checked before it. */
const BAD_PATHS: Record<Exclude<PathRule, 'not-a-string'>, fc.Arbitrary<string>> = {
  empty: fc.constant(''),
  'lone-surrogate': fc.oneof(
    fc
      .tuple(validPath, fc.integer({ min: 0xd800, max: 0xdbff }))
      .map(([path, unit]) => path + String.fromCharCode(unit)),
    fc
      .tuple(validPath, fc.integer({ min: 0xdc00, max: 0xdfff }))
      .map(([path, unit]) => String.fromCharCode(unit) + path),
  ),
  'control-character': fc
    .tuple(
      validPath,
      fc.nat(),
      fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })),
    )
    .map(([path, position, codePoint]) =>
      insertAt(path, position, String.fromCodePoint(codePoint)),
    ),
  backslash: fc
    .tuple(validPath, fc.nat())
    .map(([path, position]) => insertAt(path, position, '\\')),
  'too-long': fc.tuple(validPath, fc.integer({ min: 1, max: 50 })).map(([path, extra]) => {
    let long = path;
    while (utf8Length(long) <= MAX_PATH_BYTES) long += `/${path}`;
    return long + 'x'.repeat(extra);
  }),
  absolute: validPath.map((path) => `/${path}`),
  'trailing-slash': validPath.map((path) => `${path}/`),
  'empty-segment': fc.tuple(validPath, fc.nat()).map(([path, position]) => {
    const segments = path.split('/');
    if (segments.length === 1) return `${path}//${path}`;
    const index = 1 + (position % (segments.length - 1));
    return [...segments.slice(0, index), '', ...segments.slice(index)].join('/');
  }),
  'dot-segment': fc
    .tuple(validPath, fc.nat(), fc.constantFrom('.', '..'))
    .map(([path, position, dot]) => insertSegment(path, position, dot)),
  'not-nfc': fc
    .tuple(validPath, fc.nat(), fc.constantFrom('e\u0301', '\u212b', 'A\u030a', '\u1e0a\u0323'))
    .map(([path, position, text]) => insertSegment(path, position, text)),
};

describe('validateRelativePath', () => {
  const validCases: Array<[string, string]> = [
    ['single segment', 'README.md'],
    ['nested', 'dist/bin/tool'],
    ['dot inside name', 'a/.hidden/..x/x..'],
    ['spaces', ' lead and trail '],
    ['NFC accent', 'caf\u00e9/r\u00e9sum\u00e9.txt'],
    ['astral', '\u{1f600}/\u{10ffff}'],
    ['exactly 1024 bytes', 'a'.repeat(1024)],
    ['no-break space and BOM', '\u00a0\ufeff'],
  ];
  for (const [name, path] of validCases) {
    it(`accepts ${name}`, () => {
      assert.equal(validateRelativePath(path), path);
    });
  }

  const invalidCases: Array<[string, string, PathRule]> = [
    ['empty', '', 'empty'],
    ['lone high surrogate', 'a\ud800', 'lone-surrogate'],
    ['lone low surrogate', '\udc00b', 'lone-surrogate'],
    ['reversed surrogate pair', '\ude00\ud83d', 'lone-surrogate'],
    ['NUL', 'a\u0000b', 'control-character'],
    ['newline', 'a\nb', 'control-character'],
    ['unit separator', 'a\u001f', 'control-character'],
    ['DEL', 'a\u007f', 'control-character'],
    ['C1 NEL', '\u0085a', 'control-character'],
    ['C1 end', 'a\u009f', 'control-character'],
    ['backslash', 'a\\b', 'backslash'],
    ['1025 bytes', 'a'.repeat(1025), 'too-long'],
    ['513 two-byte chars', '\u00e9'.repeat(513), 'too-long'],
    ['absolute', '/a', 'absolute'],
    ['root', '/', 'absolute'],
    ['double slash', 'a//b', 'empty-segment'],
    ['trailing slash', 'a/b/', 'trailing-slash'],
    ['dot', '.', 'dot-segment'],
    ['dot dot', '..', 'dot-segment'],
    ['leading dot segment', './a', 'dot-segment'],
    ['inner dot dot segment', 'a/../b', 'dot-segment'],
    ['trailing dot segment', 'a/.', 'dot-segment'],
    ['NFD accent', 'cafe\u0301', 'not-nfc'],
    ['angstrom sign', '\u212b', 'not-nfc'],
  ];
  for (const [name, path, rule] of invalidCases) {
    it(`rejects ${name}`, () => {
      assert.equal(brokenRule(path), rule);
    });
  }

  it('says how to fix each rule', () => {
    // After the quoted path, the reason has a second part, after ";", with the fix.
    for (const [name, path] of invalidCases) {
      assert.throws(
        () => validateRelativePath(path),
        (err: unknown) => err instanceof Error && /: [^;]+; \S/.test(err.message),
        name,
      );
    }
  });

  it('rejects a non-string value', () => {
    for (const value of [undefined, null, 42, ['a'], { path: 'a' }]) {
      assert.throws(
        () => validateRelativePath(value as unknown as string),
        (err: unknown) => isStoreError(err, 'INVALID_PATH') && err.details.rule === 'not-a-string',
      );
    }
  });

  it('names the escaped path in the message', () => {
    const error = (() => {
      try {
        validateRelativePath('bad\u0000\u0085/x');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(isStoreError(error, 'INVALID_PATH'));
    assert.ok(error.message.includes('"bad\\u0000\\u0085/x"'), error.message);
    assert.ok(error.message.includes('U+0000'), error.message);
    assert.equal(error.details.path, 'bad\u0000\u0085/x');
  });

  it('keeps the raw path in details', () => {
    for (const path of ['a/../b', 'a\u0000b', '/abs', 'x'.repeat(1100)]) {
      try {
        validateRelativePath(path);
        assert.fail(`accepted ${quoteForMessage(path)}`);
      } catch (err) {
        assert.ok(isStoreError(err, 'INVALID_PATH'));
        assert.equal(err.details.path, path);
      }
    }
  });

  it('accepts exactly the paths meeting every rule', () => {
    fc.assert(
      fc.property(anyString, (path) => {
        const expected = satisfiesEveryRule(path);
        let returned: string | undefined;
        try {
          returned = validateRelativePath(path);
        } catch (err) {
          assert.ok(isStoreError(err, 'INVALID_PATH'), `unexpected error ${String(err)}`);
        }
        if (returned === undefined) {
          assert.equal(expected, false, `rejected a valid path ${quoteForMessage(path)}`);
          return;
        }
        assert.equal(returned, path);
        for (const [rule, holds] of ORACLE_RULES) {
          assert.ok(holds(returned), `accepted ${quoteForMessage(path)} breaking rule: ${rule}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  for (const [rule, arbitrary] of Object.entries(BAD_PATHS)) {
    it(`always rejects generated ${rule} paths`, () => {
      fc.assert(
        fc.property(arbitrary, (path) => {
          assert.equal(brokenRule(path), rule, `path ${quoteForMessage(path)}`);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('pathPrefixes', () => {
  it('lists proper prefixes shortest first', () => {
    assert.deepEqual(pathPrefixes('a/b/c'), ['a', 'a/b']);
  });

  it('returns none for one segment', () => {
    assert.deepEqual(pathPrefixes('file.txt'), []);
  });

  it('keeps astral segments whole', () => {
    assert.deepEqual(pathPrefixes('\u{1f600}/\u00e9/x'), ['\u{1f600}', '\u{1f600}/\u00e9']);
  });

  it('prefixes are valid paths', () => {
    fc.assert(
      fc.property(validPath, (path) => {
        const prefixes = pathPrefixes(path);
        assert.equal(prefixes.length, path.split('/').length - 1);
        for (const prefix of prefixes) {
          assert.equal(validateRelativePath(prefix), prefix);
          assert.ok(path.startsWith(`${prefix}/`));
        }
      }),
    );
  });
});

describe('quoteForMessage', () => {
  it('escapes C0, DEL and C1 controls', () => {
    assert.equal(quoteForMessage('a\u0001\u007f\u0080\u009fb'), '"a\\u0001\\u007f\\u0080\\u009fb"');
  });

  it('cuts long text', () => {
    const quoted = quoteForMessage('x'.repeat(5000));
    assert.ok(quoted.length < 210, `length ${quoted.length}`);
    assert.ok(quoted.endsWith('…"'));
  });
});
