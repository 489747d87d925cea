import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Digest } from '../identity/digest.js';
import { renderManifestJson } from './json-render.js';
import { buildManifest } from './manifest.js';

const MANIFEST = buildManifest(
  {
    id: '01HZX5Y4R0K7C9N3M2P8Q6T1VW',
    name: 'nightly',
    producer: 'ci',
    subject: 'widget',
    retentionClass: 'standard',
    metadata: { b: [], '10': {}, '2': -0, '\u{1f600}': 'astral', '\uffff': 'bmp', a: [1, 'x'] },
    createdAt: '2024-05-01T10:00:00.000Z',
    createdBy: 'alice',
    finalizedAt: '2024-05-01T10:05:00.000Z',
    finalizedBy: 'alice',
  },
  [{ path: 'f', digest: `blake3:${'d'.repeat(64)}` as Digest, size: 0, mediaType: 'text/plain' }],
);

const EXPECTED = `{
  "files": [
    {
      "digest": "blake3:${'d'.repeat(64)}",
      "mediaType": "text/plain",
      "path": "f",
      "size": 0
    }
  ],
  "package": {
    "createdAt": "2024-05-01T10:00:00.000Z",
    "createdBy": "alice",
    "finalizedAt": "2024-05-01T10:05:00.000Z",
    "finalizedBy": "alice",
    "id": "01HZX5Y4R0K7C9N3M2P8Q6T1VW",
    "metadata": {
      "10": {},
      "2": 0,
      "a": [
        1,
        "x"
      ],
      "b": [],
      "\uffff": "bmp",
      "\u{1f600}": "astral"
    },
    "name": "nightly",
    "producer": "ci",
    "retentionClass": "standard",
    "subject": "widget"
  },
  "schema": "artifactstore.manifest.v1"
}
`;

describe('renderManifestJson', () => {
  it('renders sorted, indented JSON', () => {
    assert.equal(renderManifestJson(MANIFEST), EXPECTED);
  });

  it('sorts integer-like keys as text', () => {
    const text = renderManifestJson(MANIFEST);
    assert.ok(text.indexOf('"10"') < text.indexOf('"2"'));
  });

  it('ends with one newline', () => {
    const text = renderManifestJson(MANIFEST);
    assert.ok(text.endsWith('}\n'));
    assert.ok(!text.endsWith('\n\n'));
  });

  it('parses back to the manifest', () => {
    assert.deepEqual(JSON.parse(renderManifestJson(MANIFEST)), {
      ...MANIFEST,
      package: { ...MANIFEST.package, metadata: { ...MANIFEST.package.metadata, '2': 0 } },
    });
  });

  it('ignores key insertion order', () => {
    const reordered = {
      files: MANIFEST.files,
      package: Object.fromEntries(Object.entries(MANIFEST.package).reverse()),
      schema: MANIFEST.schema,
    } as typeof MANIFEST;
    assert.equal(renderManifestJson(reordered), EXPECTED);
  });
});
