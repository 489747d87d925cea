import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { StoreError } from '../errors/store-error.js';

/** Settings of one store process, read from `ARTIFACTSTORE_*` variables. Frozen once loaded. */
export interface Config {
  /** `sqlite:<path>` or `postgresql://…`. */
  readonly databaseUrl: string;
  readonly storage: StorageConfig;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  /** Largest accepted file body, in bytes. */
  readonly maxUploadBytes: number;
  /** Largest accepted package metadata, in bytes of its JSON text. */
  readonly maxMetadataBytes: number;
  readonly database: DatabaseTuning;
}

/** Names of the storage backends a store can be configured with. */
export const BACKEND_NAMES = ['local', 's3'] as const;

/** Name of a configured storage backend, as recorded in `storage_locations`. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Storage backends: the one written to, and the ones that are read as well. */
export interface StorageConfig {
  /** Backend that new objects are written to. */
  readonly backend: BackendName;
  /** Every backend reads may use, the write backend first. */
  readonly backends: readonly BackendName[];
  readonly localRoot: string;
  readonly s3?: S3Config;
  /** Whether downloads redirect to a presigned URL when the backend can make one. */
  readonly presignDownloads: boolean;
  /** Lifetime of a presigned download URL, in seconds. */
  readonly presignExpiresSeconds: number;
}

/** Settings of the S3-compatible backend. */
export interface S3Config {
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly forcePathStyle: boolean;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/** Connection pool and timeout settings of the metadata database. */
export interface DatabaseTuning {
  /** PostgreSQL pool size. */
  readonly poolSize: number;
  /** PostgreSQL statement timeout, in milliseconds. */
  readonly statementTimeoutMs: number;
  /** Time to wait for a free pooled connection before failing with 503, in milliseconds. */
  readonly connectTimeoutMs: number;
  /** SQLite busy timeout, in milliseconds. */
  readonly busyTimeoutMs: number;
}

/** pino level names accepted by `ARTIFACTSTORE_LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const GIB = 1024 ** 3;

/** Defaults of every setting; README and docs/configuration.md list the same values. */
export const DEFAULTS = {
  databaseUrl: 'sqlite:./var/artifactstore.db',
  localRoot: './var/storage',
  host: '127.0.0.1',
  port: 8000,
  logLevel: 'info' as LogLevel,
  maxUploadBytes: 64 * GIB,
  maxMetadataBytes: 64 * 1024,
  poolSize: 10,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  busyTimeoutMs: 5_000,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, value: string, expected: string): StoreError {
  return new StoreError('INVALID_CONFIG', `invalid ${name}="${value}": expected ${expected}`, {
    variable: name,
    value,
  });
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw invalid(name, raw, 'true or false');
}

function readDatabaseUrl(env: Env): string {
  const raw = env.ARTIFACTSTORE_DATABASE_URL;
  if (raw === undefined || raw === '') return DEFAULTS.databaseUrl;
  if (/^postgres(ql)?:\/\//.test(raw) || /^sqlite:.+/.test(raw)) return raw;
  throw invalid(
    'ARTIFACTSTORE_DATABASE_URL',
    raw.replace(/\/\/[^@/]*@/, '//***@'),
    '"sqlite:<file path>" or "postgresql://user@host:port/database"',
  );
}

function readS3(env: Env): S3Config | undefined {
  const bucket = env.ARTIFACTSTORE_S3_BUCKET;
  if (bucket === undefined || bucket === '') return undefined;
  const endpoint = env.ARTIFACTSTORE_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw invalid('ARTIFACTSTORE_S3_ENDPOINT', endpoint, 'an http:// or https:// URL');
  }
  const prefix = env.ARTIFACTSTORE_S3_PREFIX ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) {
    throw invalid('ARTIFACTSTORE_S3_PREFIX', prefix, 'empty or a key prefix ending in "/"');
  }
  return Object.freeze({
    endpoint,
    region: env.ARTIFACTSTORE_S3_REGION || env.AWS_REGION || 'us-east-1',
    bucket,
    prefix,
    forcePathStyle: readBoolean(env, 'ARTIFACTSTORE_S3_FORCE_PATH_STYLE', endpoint !== undefined),
    accessKeyId: env.ARTIFACTSTORE_S3_ACCESS_KEY_ID || undefined,
    secretAccessKey: env.ARTIFACTSTORE_S3_SECRET_ACCESS_KEY || undefined,
  });
}

function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

function readBackendList(env: Env, primary: BackendName): BackendName[] {
  const raw = env.ARTIFACTSTORE_STORAGE_BACKENDS;
  if (raw === undefined || raw.trim() === '') return [primary];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !isBackendName(name));
  if (unknown !== undefined) {
    throw invalid(
      'ARTIFACTSTORE_STORAGE_BACKENDS',
      raw,
      `a comma-separated list of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  const others = (names as BackendName[]).filter((name) => name !== primary);
  return [primary, ...new Set(others)];
}

function readStorage(env: Env): StorageConfig {
  const backend = env.ARTIFACTSTORE_STORAGE_BACKEND || 'local';
  if (!isBackendName(backend)) {
    throw invalid('ARTIFACTSTORE_STORAGE_BACKEND', backend, '"local" or "s3"');
  }
  const backends = readBackendList(env, backend);
  const s3 = readS3(env);
  if (backends.includes('s3') && s3 === undefined) {
    throw new StoreError(
      'INVALID_CONFIG',
      'missing ARTIFACTSTORE_S3_BUCKET: the s3 backend is configured but has no bucket name',
      { variable: 'ARTIFACTSTORE_S3_BUCKET' },
    );
  }
  const localRoot = env.ARTIFACTSTORE_STORAGE_LOCAL_ROOT || DEFAULTS.localRoot;
  return Object.freeze({
    backend,
    backends: Object.freeze(backends),
    localRoot: resolve(localRoot),
    s3,
    presignDownloads: readBoolean(env, 'ARTIFACTSTORE_PRESIGN_DOWNLOADS', false),
    presignExpiresSeconds: readInteger(
      env,
      'ARTIFACTSTORE_PRESIGN_EXPIRES_SECONDS',
      300,
      1,
      604_800,
    ),
  });
}

function readLogLevel(env: Env): LogLevel {
  const raw = env.ARTIFACTSTORE_LOG_LEVEL;
  if (raw === undefined || raw === '') return DEFAULTS.logLevel;
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw invalid('ARTIFACTSTORE_LOG_LEVEL', raw, `one of ${LOG_LEVELS.join(', ')}`);
}

/**
 * Builds the configuration from environment variables. Throws `INVALID_CONFIG` naming the first
 * variable whose value is unusable.
 */
export function loadConfig(env: Env = process.env): Config {
  const host = env.ARTIFACTSTORE_HOST || DEFAULTS.host;
  return Object.freeze({
    databaseUrl: readDatabaseUrl(env),
    storage: readStorage(env),
    host,
    port: readInteger(env, 'ARTIFACTSTORE_PORT', DEFAULTS.port, 0, 65535),
    logLevel: readLogLevel(env),
    maxUploadBytes: readInteger(
      env,
      'ARTIFACTSTORE_MAX_UPLOAD_BYTES',
      DEFAULTS.maxUploadBytes,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    maxMetadataBytes: readInteger(
      env,
      'ARTIFACTSTORE_MAX_METADATA_BYTES',
      DEFAULTS.maxMetadataBytes,
      2,
      16 * 1024 * 1024,
    ),
    database: Object.freeze({
      poolSize: readInteger(env, 'ARTIFACTSTORE_DB_POOL_SIZE', DEFAULTS.poolSize, 1, 1000),
      statementTimeoutMs: readInteger(
        env,
        'ARTIFACTSTORE_DB_STATEMENT_TIMEOUT_MS',
        DEFAULTS.statementTimeoutMs,
        0,
        3_600_000,
      ),
      connectTimeoutMs: readInteger(
        env,
        'ARTIFACTSTORE_DB_CONNECT_TIMEOUT_MS',
        DEFAULTS.connectTimeoutMs,
        1,
        600_000,
      ),
      busyTimeoutMs: readInteger(
        env,
        'ARTIFACTSTORE_SQLITE_BUSY_TIMEOUT_MS',
        DEFAULTS.busyTimeoutMs,
        0,
        600_000,
      ),
    }),
  });
}

/** Loads `.env` from the working directory into `process.env`, keeping variables already set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
