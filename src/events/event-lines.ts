/**
 * Lines of an event export (format version 1): UTF-8 text, one canonical JSON object per line
 * (keys sorted, no whitespace), each line ended by "\n".
 *
 *   {"count":3,"format":"artifactstore-events","version":1}
 *   {"actor":"ci","packageId":"01J…","payload":{…},"recordedAt":"2025-…Z","seq":1,"type":"package.created"}
 *   …
 *
 * The header comes first and states how many event lines follow. Events follow in sequence order,
 * numbered 1 to `count` without gaps, with the fields of the `events` table.
 */
import { StoreError } from '../errors/store-error.js';
import { canonicalJson } from './canonical-json.js';
import type { RecordedEvent, StoreEventType } from './event-types.js';

/** Value of the header's `format` field. */
export const EVENT_EXPORT_FORMAT = 'artifactstore-events';

/** Version of the export format that this build writes and reads. */
export const EVENT_EXPORT_VERSION = 1;

/** First line of an export. */
export interface EventExportHeader {
  format: typeof EVENT_EXPORT_FORMAT;
  version: typeof EVENT_EXPORT_VERSION;
  /** Number of event lines after the header. */
  count: number;
}

/** Type of a payload field; `integer` means a safe integer of 0 or more. */
type FieldType = 'string' | 'integer' | 'object' | 'string-or-null';

/** Payload fields that the view writer reads, per event type. */
const PAYLOAD_FIELDS: Record<StoreEventType, Record<string, FieldType>> = {
  'package.created': {
    name: 'string',
    producer: 'string',
    subject: 'string',
    retentionClass: 'string',
    metadata: 'object',
  },
  'file.added': {
    path: 'string',
    digest: 'string',
    size: 'integer',
    mediaType: 'string',
    backend: 'string',
  },
  'package.finalized': {
    manifestDigest: 'string',
    manifestSize: 'integer',
    backend: 'string',
    retainUntil: 'string-or-null',
  },
  'object.located': { digest: 'string', size: 'integer', backend: 'string' },
};

const EVENT_KEYS = ['actor', 'packageId', 'payload', 'recordedAt', 'seq', 'type'];

/** Formats the header line. */
export function formatHeaderLine(count: number): string {
  const header: EventExportHeader = {
    format: EVENT_EXPORT_FORMAT,
    version: EVENT_EXPORT_VERSION,
    count,
  };
  return `${canonicalJson(header)}\n`;
}

/** Formats one event as its export line. */
export function formatEventLine(event: RecordedEvent): string {
  const { seq, type, packageId, actor, recordedAt, payload } = event;
  return `${canonicalJson({ seq, type, packageId, actor, recordedAt, payload })}\n`;
}

function invalidLine(lineNumber: number, problem: string, cause?: unknown): StoreError {
  return new StoreError(
    'INVALID_ARGUMENT',
    `invalid event export, line ${lineNumber}: ${problem}; export the events again with this version of artifactstore`,
    { line: lineNumber },
    cause,
  );
}

function parseObject(line: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw invalidLine(lineNumber, 'not valid JSON', err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidLine(lineNumber, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Parses and checks the header line. Raises INVALID_ARGUMENT naming the field at fault. */
export function parseHeaderLine(line: string): EventExportHeader {
  if (line === '') {
    throw invalidLine(1, `expected the header line of an ${EVENT_EXPORT_FORMAT} export`);
  }
  const header = parseObject(line, 1);
  if (header.format !== EVENT_EXPORT_FORMAT) {
    throw invalidLine(
      1,
      `expected format "${EVENT_EXPORT_FORMAT}", got ${JSON.stringify(header.format)}`,
    );
  }
  if (header.version !== EVENT_EXPORT_VERSION) {
    throw invalidLine(
      1,
      `format version ${JSON.stringify(header.version)} is not supported (this build reads version ${EVENT_EXPORT_VERSION})`,
    );
  }
  if (!Number.isSafeInteger(header.count) || (header.count as number) < 0) {
    throw invalidLine(1, `expected a count of 0 or more, got ${JSON.stringify(header.count)}`);
  }
  return header as unknown as EventExportHeader;
}

function hasType(value: unknown, type: FieldType): boolean {
  if (type === 'string-or-null') return value === null || typeof value === 'string';
  if (type === 'object') {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
  if (type === 'integer') return Number.isSafeInteger(value) && (value as number) >= 0;
  return typeof value === 'string';
}

function checkEnvelope(event: Record<string, unknown>, lineNumber: number, seq: number): void {
  const keys = Object.keys(event).sort();
  if (keys.join(',') !== EVENT_KEYS.join(',')) {
    throw invalidLine(
      lineNumber,
      `expected the fields ${EVENT_KEYS.join(', ')}, got ${keys.join(', ')}`,
    );
  }
  if (event.seq !== seq) {
    throw invalidLine(
      lineNumber,
      `expected event seq ${seq}, got ${JSON.stringify(event.seq)}: sequence numbers must run from 1 without gaps`,
    );
  }
  if (typeof event.actor !== 'string' || event.actor === '') {
    throw invalidLine(lineNumber, 'expected a non-empty string in "actor"');
  }
  if (typeof event.recordedAt !== 'string' || Number.isNaN(Date.parse(event.recordedAt))) {
    throw invalidLine(lineNumber, 'expected an RFC 3339 timestamp in "recordedAt"');
  }
}

function checkPayload(event: Record<string, unknown>, lineNumber: number): void {
  if (typeof event.type !== 'string' || !Object.hasOwn(PAYLOAD_FIELDS, event.type)) {
    throw invalidLine(lineNumber, `unknown event type ${JSON.stringify(event.type)}`);
  }
  const fields = PAYLOAD_FIELDS[event.type as StoreEventType];
  if (event.type === 'object.located' && event.packageId !== null) {
    throw invalidLine(lineNumber, 'expected "packageId" to be null for object.located');
  }
  if (event.type !== 'object.located' && typeof event.packageId !== 'string') {
    throw invalidLine(lineNumber, `expected "packageId" to be a string for ${event.type}`);
  }
  if (!hasType(event.payload, 'object')) {
    throw invalidLine(lineNumber, 'expected a JSON object in "payload"');
  }
  const payload = event.payload as Record<string, unknown>;
  for (const [field, type] of Object.entries(fields)) {
    if (!hasType(payload[field], type)) {
      throw invalidLine(
        lineNumber,
        `expected payload field "${field}" of type ${type} for ${event.type}`,
      );
    }
  }
}

/**
 * Parses one event line and checks it: the fields of an event, sequence number `seq`, a known
 * type, and the payload fields that the view writer reads. Raises INVALID_ARGUMENT naming the
 * line and the problem.
 */
export function parseEventLine(line: string, lineNumber: number, seq: number): RecordedEvent {
  const event = parseObject(line, lineNumber);
  checkEnvelope(event, lineNumber, seq);
  checkPayload(event, lineNumber);
  return event as unknown as RecordedEvent;
}
