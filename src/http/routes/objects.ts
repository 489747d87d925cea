import { parseDigest } from '../../identity/digest.js';
import { sendDownload } from '../download.js';
import type { ApiServer, RouteContext } from '../route-context.js';
import { DOWNLOAD_RESPONSES, ObjectParamsSchema } from '../schemas.js';

/** Media type of objects read by digest, which carry no media type of their own. */
const OBJECT_MEDIA_TYPE = 'application/octet-stream';

/** Registers the download of stored objects by content address. */
export function registerObjectRoutes(app: ApiServer, { registry, config }: RouteContext): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/objects/:digest',
    schema: {
      tags: ['objects'],
      summary: 'Download an object by content address; supports Range and If-None-Match',
      params: ObjectParamsSchema,
      response: DOWNLOAD_RESPONSES,
    },
    handler: async (request, reply) => {
      const digest = parseDigest(request.params.digest);
      const { size } = await registry.statObject(digest);

      // Content never changes under its address, so caches may keep it indefinitely.
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      return sendDownload(request, reply, {
        digest,
        size,
        mediaType: OBJECT_MEDIA_TYPE,
        open: (range) => registry.openObject(digest, range),
        presign: config.storage.presignDownloads
          ? () => registry.presignDownload(digest)
          : undefined,
      });
    },
  });
}
