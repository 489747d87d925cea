import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import S3rver from 's3rver';

/** An s3rver instance on 127.0.0.1 with one empty bucket, for tests. */
export interface TestS3Server {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Directory in which s3rver keeps buckets and in-progress multipart uploads. */
  readonly directory: string;
  /** Stops the server and deletes its directory. */
  close(): Promise<void>;
}

/** Subset of s3rver's filesystem store that the multipart additions call. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
  getObject(bucket: string, key: string, range?: Partial<ByteSpan>): Promise<S3rverObject | null>;
  putPart(
    bucket: string,
    uploadId: string,
    part: number,
    content: Readable,
  ): Promise<{ md5: string }>;
  listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys: number },
  ): Promise<{ objects: S3rverObject[]; isTruncated: boolean }>;
}

interface ByteSpan {
  start: number;
  end: number;
}

interface S3rverObject {
  key: string;
  content: Readable | null;
  range?: ByteSpan;
  metadata: Record<string, string>;
  readonly size: number;
}

/** Subset of the Koa context that the multipart additions read and write. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
}

type Middleware = (context: KoaContext, next: () => Promise<void>) => Promise<void>;

/** s3rver is a Koa application; its `middleware` array and `store` are public Koa/s3rver fields. */
interface S3rverInternals {
  middleware: Middleware[];
  store: S3rverStore;
  httpServer?: Server;
}

const BUCKET = 'artifactstore-test';
const CREDENTIAL = 'S3RVER';

/**
 * Starts s3rver 3.7.1 on 127.0.0.1 with an OS-assigned port in a fresh temp directory, with four
 * repairs on top of s3rver's own store:
 * - This server implements ListMultipartUploads, AbortMultipartUpload and UploadPartCopy. s3rver
 *   lacks them, and the S3 backend needs them to leave no parts behind and to copy large objects.
 * - This server implements ListObjectsV2, because s3rver encrypts continuation tokens with DES,
 *   which the OpenSSL 3 of Node.js 20 rejects, so every truncated listing fails with 500.
 * - A `Range: bytes=0-0` read returns one byte; s3rver reads the end 0 as "to the end".
 */
export async function startTestS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'artifactstore-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const internals = server as unknown as S3rverInternals;
  repairFirstByteRange(internals.store);
  keepDirectoriesOnDelete(internals.store);
  internals.middleware.unshift(multipartAdditions(internals.store));
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    accessKeyId: CREDENTIAL,
    secretAccessKey: CREDENTIAL,
    directory,
    close: async () => {
      internals.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function multipartAdditions(store: S3rverStore): Middleware {
  return async (context, next) => {
    const match = /^\/([^/]+)(?:\/(.*))?$/.exec(context.path);
    const bucket = match?.[1];
    const key = match?.[2] ? decodeURIComponent(match[2]) : undefined;
    const uploadId = single(context.query.uploadId);
    const bucketGet = bucket !== undefined && key === undefined && context.method === 'GET';
    if (bucketGet && 'uploads' in context.query) return listUploads(store, context, bucket);
    if (bucketGet && context.query['list-type'] === '2' && !('delimiter' in context.query)) {
      return listObjectsV2(store, context, bucket);
    }
    if (bucket && key && uploadId && context.method === 'DELETE') {
      return abortUpload(store, context, bucket, uploadId);
    }
    if (bucket && uploadId && context.method === 'PUT' && context.headers['x-amz-copy-source']) {
      return copyPart(store, context, bucket, uploadId);
    }
    await next();
  };
}

async function listUploads(store: S3rverStore, context: KoaContext, bucket: string): Promise<void> {
  const prefix = single(context.query.prefix) ?? '';
  const root = store.getResourcePath(bucket, undefined, 'uploads');
  const entries: string[] = [];
  for (const uploadId of await readdir(root).catch(() => [])) {
    const key = await readFile(join(root, uploadId, 'key'), 'utf8').catch(() => undefined);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const initiated = (await stat(join(root, uploadId))).mtime.toISOString();
    entries.push(
      `<Upload><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
    );
  }
  sendXml(
    context,
    200,
    `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`,
  );
}

async function abortUpload(
  store: S3rverStore,
  context: KoaContext,
  bucket: string,
  uploadId: string,
): Promise<void> {
  const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  if (!(await stat(dir).catch(() => undefined))) {
    sendXml(
      context,
      404,
      '<Error><Code>NoSuchUpload</Code><Message>upload not found</Message></Error>',
    );
    return;
  }
  await rm(dir, { recursive: true, force: true });
  context.status = 204;
}

async function copyPart(
  store: S3rverStore,
  context: KoaContext,
  bucket: string,
  uploadId: string,
): Promise<void> {
  const source = decodeURIComponent(String(context.headers['x-amz-copy-source']));
  const [, sourceBucket = '', sourceKey = ''] = /^\/?([^/]+)\/(.+)$/.exec(source) ?? [];
  const range = /^bytes=(\d+)-(\d+)$/.exec(String(context.headers['x-amz-copy-source-range']));
  const object = await store.getObject(sourceBucket, sourceKey, {
    start: Number(range?.[1] ?? 0),
    end: Number(range?.[2] ?? Number.MAX_SAFE_INTEGER),
  });
  if (!object?.content) {
    sendXml(
      context,
      404,
      '<Error><Code>NoSuchKey</Code><Message>source key not found</Message></Error>',
    );
    return;
  }
  await mkdir(join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId), {
    recursive: true,
  });
  const part = Number(single(context.query.partNumber));
  const { md5 } = await store.putPart(bucket, uploadId, part, object.content);
  sendXml(
    context,
    200,
    `<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${md5}"</ETag></CopyPartResult>`,
  );
}

async function listObjectsV2(store: S3rverStore, context: KoaContext, bucket: string) {
  const prefix = single(context.query.prefix) ?? '';
  const token = single(context.query['continuation-token']);
  const startAfter = token
    ? Buffer.from(token, 'base64url').toString('utf8')
    : (single(context.query['start-after']) ?? '');
  const maxKeys = Math.min(1000, Number(single(context.query['max-keys']) ?? 1000));
  const { objects, isTruncated } = await store.listObjects(bucket, { prefix, startAfter, maxKeys });
  const contents = objects.map(
    (object) =>
      `<Contents><Key>${escapeXml(object.key)}</Key><LastModified>${new Date(object.metadata['last-modified'] ?? 0).toISOString()}</LastModified><ETag>${escapeXml(object.metadata.etag ?? '')}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
  );
  const last = objects[objects.length - 1]?.key;
  const next =
    isTruncated && last !== undefined
      ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
      : '';
  sendXml(
    context,
    200,
    `<ListBucketResult><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${objects.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${isTruncated}</IsTruncated>${next}${contents.join('')}</ListBucketResult>`,
  );
}

/** Makes a read of `bytes=0-0` return the first byte instead of the whole object. */
/**
 * Makes DeleteObject leave directories in place. s3rver removes a key's directory once it looks
 * empty, which races with a concurrent PutObject into the same directory (many uploads share
 * `staging/`): the put then fails with ENOENT as an uncaught exception.
 */
function keepDirectoriesOnDelete(store: S3rverStore): void {
  store.deleteObject = async (bucket, key) => {
    const files = ['object', 'object.md5', 'metadata.json'].map((resource) =>
      store.getResourcePath(bucket, key, resource),
    );
    await Promise.all(files.map((file) => rm(file, { force: true })));
  };
}

function repairFirstByteRange(store: S3rverStore): void {
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, range) => {
    if (range?.end !== 0) return getObject(bucket, key, range);
    const object = await getObject(bucket, key, { ...range, end: 1 });
    if (object?.content && object.range) {
      object.content.destroy();
      const path = store.getResourcePath(bucket, key, 'object');
      object.content = createReadStream(path, { start: 0, end: 0 });
      object.range.end = 0;
    }
    return object;
  };
}

function sendXml(context: KoaContext, status: number, body: string): void {
  context.status = status;
  context.type = 'application/xml';
  context.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
