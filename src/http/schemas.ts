import { Type } from '@fastify/type-provider-typebox';

/**
 * TypeBox schemas of the HTTP API. The same objects validate requests and generate the OpenAPI
 * document at /docs/json. Responses are serialized with `JSON.stringify`, so response schemas
 * document the shapes and never filter them.
 */

/** A content address: `blake3:` and 64 lowercase hex digits. */
export const DigestSchema = Type.String({
  pattern: '^blake3:[0-9a-f]{64}$',
  description: 'Content address: "blake3:" followed by 64 lowercase hex digits',
});

const Timestamp = Type.String({ description: 'RFC 3339 UTC time with milliseconds' });
const Limit = Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size, default 100' });
const Cursor = Type.String({ description: 'Opaque cursor from the nextCursor of a previous page' });

/** Package metadata: any JSON object. */
export const MetadataSchema = Type.Object(
  {},
  { additionalProperties: true, description: 'Free-form JSON object, limited in size' },
);

/** Lifecycle state of a package. */
export const PackageStateSchema = Type.Enum(['open', 'finalized']);

/** A package as the registry reports it. */
export const PackageSchema = Type.Object({
  id: Type.String({ description: 'ULID of the package' }),
  name: Type.String(),
  producer: Type.String(),
  subject: Type.String(),
  retentionClass: Type.String(),
  metadata: MetadataSchema,
  state: PackageStateSchema,
  createdAt: Timestamp,
  createdBy: Type.String(),
  finalizedAt: Type.Union([Timestamp, Type.Null()]),
  manifestDigest: Type.Union([DigestSchema, Type.Null()]),
  fileCount: Type.Integer(),
  totalSize: Type.Integer({ description: 'Sum of the file sizes, in bytes' }),
});

/** A file of a package. */
export const FileSchema = Type.Object({
  packageId: Type.String(),
  path: Type.String(),
  digest: DigestSchema,
  size: Type.Integer({ description: 'Size in bytes' }),
  mediaType: Type.String(),
  addedAt: Timestamp,
});

/** One entry of the event log. */
export const EventSchema = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  packageId: Type.Union([Type.String(), Type.Null()]),
  actor: Type.String(),
  recordedAt: Timestamp,
  payload: Type.Object({}, { additionalProperties: true }),
});

/** Body of `POST /v1/packages`. */
export const CreatePackageBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    producer: Type.String({ minLength: 1 }),
    subject: Type.String({ minLength: 1 }),
    retentionClass: Type.Optional(Type.String({ description: 'Defaults to "standard"' })),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/** Query of `GET /v1/packages`. */
export const ListPackagesQuerySchema = Type.Object({
  producer: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  state: Type.Optional(PackageStateSchema),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** Query of `GET /v1/packages/:id/files`. */
export const ListFilesQuerySchema = Type.Object({
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** Query of `GET /v1/events`. */
export const ListEventsQuerySchema = Type.Object({
  after: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Return events with a greater sequence number' }),
  ),
  limit: Type.Optional(Limit),
});

/** Path parameters naming a package. */
export const PackageParamsSchema = Type.Object({ id: Type.String() });

/** Path parameters naming a file: the wildcard is the percent-decoded relative path. */
export const FileParamsSchema = Type.Object({
  id: Type.String(),
  '*': Type.String({ description: 'Relative path of the file, percent-encoded in the URL' }),
});

/** Path parameters naming an object. */
export const ObjectParamsSchema = Type.Object({
  digest: Type.String({ description: 'Content address: "blake3:" and 64 lowercase hex digits' }),
});

/** Description of the `X-Actor` header in the OpenAPI document. */
const ACTOR_HEADER_DESCRIPTION =
  'Who performs the change, recorded in events; default anonymous. Send names outside ASCII ' +
  'percent-encoded as UTF-8 (encodeURIComponent), for example j%C3%BCrgen; raw UTF-8 bytes are ' +
  'also accepted. A value with an invalid %XX escape is rejected with INVALID_ARGUMENT.';

/** Request headers naming who performs a change. */
export const ActorHeadersSchema = Type.Object({
  'x-actor': Type.Optional(Type.String({ description: ACTOR_HEADER_DESCRIPTION })),
});

/** Request headers of a file upload. */
export const UploadHeadersSchema = Type.Object({
  'x-actor': Type.Optional(Type.String({ description: ACTOR_HEADER_DESCRIPTION })),
  'x-expected-digest': Type.Optional(
    Type.String({ description: 'Rejects the upload unless the bytes have this content address' }),
  ),
});

/** One page of packages. */
export const PackagePageSchema = Type.Object({
  items: Type.Array(PackageSchema),
  nextCursor: Type.Union([Cursor, Type.Null()]),
});

/** One page of files. */
export const FilePageSchema = Type.Object({
  items: Type.Array(FileSchema),
  nextCursor: Type.Union([Cursor, Type.Null()]),
});

/** One page of events. */
export const EventPageSchema = Type.Object({
  items: Type.Array(EventSchema),
  nextAfter: Type.Integer({
    description: 'Pass as `after` to read the next events; equals `after` when none were returned',
  }),
});

/** Result of finalizing a package. */
export const FinalizeResultSchema = Type.Object({
  package: PackageSchema,
  manifestDigest: DigestSchema,
});

/** Health report; served with 200 when ok and 503 when degraded. */
export const HealthSchema = Type.Object({
  status: Type.Enum(['ok', 'degraded']),
  db: Type.Enum(['ok', 'unavailable']),
  backend: Type.Enum(['ok', 'unavailable']),
  version: Type.String(),
});

/** Banner served at `/`. */
export const BannerSchema = Type.Object({
  name: Type.Literal('artifactstore'),
  version: Type.String(),
  docs: Type.String(),
});

/** RFC 9457 problem document of every error response. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable error code, such as PACKAGE_NOT_FOUND' }),
    instance: Type.Optional(
      Type.String({
        description: 'The request URL; absent when the request could not be parsed as HTTP',
      }),
    ),
    requestId: Type.String(),
  },
  { additionalProperties: true, description: 'Further members carry details of the error' },
);

/** JSON rendering of a manifest, with keys sorted at every level. */
export const ManifestJsonSchema = Type.Object(
  {
    schema: Type.String(),
    package: Type.Object({}, { additionalProperties: true }),
    files: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

/** Bytes of a file, an object or an upload body. */
export const BinarySchema = Type.String({ format: 'binary' });

/** Body of a file upload: the file bytes, streamed and never validated as a value. */
export const UploadBodySchema = Type.String({
  format: 'binary',
  description: 'The file bytes; Content-Type becomes the media type of the file',
});

const problemResponse = {
  description: 'Problem document (RFC 9457)',
  content: { 'application/problem+json': { schema: ProblemSchema } },
};

/** Response schemas shared by every route: the problem document for any error status. */
export const ERROR_RESPONSES = { '4xx': problemResponse, '5xx': problemResponse } as const;

/** Responses of the routes that send file or object bytes. */
export const DOWNLOAD_RESPONSES = {
  200: { description: 'The whole content', content: { '*/*': { schema: BinarySchema } } },
  206: {
    description: 'One byte range of the content, as Content-Range states',
    content: { '*/*': { schema: BinarySchema } },
  },
  304: { description: 'The If-None-Match entity tag matches; no body', type: 'null' },
  307: {
    description:
      'Only with ARTIFACTSTORE_PRESIGN_DOWNLOADS: Location is a short-lived presigned URL of the storage backend; no body',
    type: 'null',
  },
  ...ERROR_RESPONSES,
} as const;
