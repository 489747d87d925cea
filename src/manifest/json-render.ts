import { comparePaths } from './compare-paths.js';
import type { Manifest } from './manifest.js';

const INDENT = '  ';

/**
 * Renders a manifest as JSON text for people and JSON tools. Keys are sorted by Unicode code
 * point at every level, including integer-like keys that `JSON.stringify` would move first.
 * Indentation is two spaces and the text ends with a newline, so equal manifests always render
 * to equal bytes. The CBOR encoding, not this text, is what the manifest digest covers.
 */
export function renderManifestJson(manifest: Manifest): string {
  return `${renderValue(manifest, '')}\n`;
}

function renderValue(value: unknown, indent: string): string {
  if (Array.isArray(value)) return renderArray(value, indent);
  if (typeof value === 'object' && value !== null) return renderObject(value, indent);

  // Strings, finite numbers, booleans and null: JSON.stringify writes -0 as 0.
  return JSON.stringify(value);
}

function renderArray(items: readonly unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  const inner = indent + INDENT;
  const lines = items.map((item) => `${inner}${renderValue(item, inner)}`);
  return `[\n${lines.join(',\n')}\n${indent}]`;
}

function renderObject(object: object, indent: string): string {
  const entries = Object.entries(object).sort(([a], [b]) => comparePaths(a, b));
  if (entries.length === 0) return '{}';
  const inner = indent + INDENT;
  const lines = entries.map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${renderValue(item, inner)}`,
  );
  return `{\n${lines.join(',\n')}\n${indent}}`;
}
