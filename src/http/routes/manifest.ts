import { StoreError } from '../../errors/store-error.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ManifestFormat, RegistryApi } from '../../registry/registry-api.js';
import { negotiateMediaType } from '../accept.js';
import { ifNoneMatchHits, strongEtag, weakEtag } from '../conditional.js';
import type { ApiServer, RouteContext } from '../route-context.js';
import {
  BinarySchema,
  ERROR_RESPONSES,
  ManifestJsonSchema,
  PackageParamsSchema,
} from '../schemas.js';

const JSON_TYPE = 'application/json';
const CBOR_TYPE = 'application/cbor';

/** Manifest encodings in the server's order of preference. */
const OFFERED_TYPES = [JSON_TYPE, CBOR_TYPE] as const;

function notAcceptable(accept: string): StoreError {
  return new StoreError(
    'NOT_ACCEPTABLE',
    `cannot send the manifest as "${accept}"; accept ${JSON_TYPE} or ${CBOR_TYPE}`,
    { accept, available: [...OFFERED_TYPES] },
  );
}

async function sendManifest(
  request: FastifyRequest,
  reply: FastifyReply,
  registry: RegistryApi,
  packageId: string,
): Promise<FastifyReply> {
  const accept = request.headers.accept;
  const mediaType = negotiateMediaType(accept, OFFERED_TYPES);
  if (mediaType === undefined) throw notAcceptable(accept ?? '');

  const format: ManifestFormat = mediaType === CBOR_TYPE ? 'cbor' : 'json';
  const manifest = await registry.getManifest(packageId, format);
  const etag = format === 'cbor' ? strongEtag(manifest.digest) : weakEtag(manifest.digest);
  reply.header('etag', etag).header('x-manifest-digest', manifest.digest);
  reply.header('vary', 'Accept');
  if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send();

  const contentType = format === 'cbor' ? CBOR_TYPE : `${JSON_TYPE}; charset=utf-8`;
  return reply.type(contentType).send(manifest.bytes);
}

/**
 * Registers the manifest of a finalized package. The CBOR bytes are the manifest itself, so
 * they hash to its address and carry it as a strong ETag. The JSON rendering is equivalent but
 * not byte-identical, so it carries the same address as a weak ETag.
 */
export function registerManifestRoutes(app: ApiServer, { registry }: RouteContext): void {
  app.get(
    '/v1/packages/:id/manifest',
    {
      schema: {
        tags: ['packages'],
        summary: 'Get the manifest of a finalized package as JSON or, on request, CBOR',
        params: PackageParamsSchema,
        response: {
          200: {
            description: 'The manifest; its CBOR bytes hash to the manifest address',
            content: {
              [JSON_TYPE]: { schema: ManifestJsonSchema },
              [CBOR_TYPE]: { schema: BinarySchema },
            },
          },
          304: { description: 'The If-None-Match entity tag matches; no body', type: 'null' },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => sendManifest(request, reply, registry, request.params.id),
  );
}
