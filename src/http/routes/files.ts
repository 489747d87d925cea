import { sendDownload } from '../download.js';
import { explainUploadMediaType } from '../framework-errors.js';
import { sendProblem } from '../problem.js';
import { type ApiServer, type RouteContext, actorOf, fileLocation } from '../route-context.js';
import {
  DOWNLOAD_RESPONSES,
  ERROR_RESPONSES,
  FileParamsSchema,
  FilePageSchema,
  FileSchema,
  ListFilesQuerySchema,
  PackageParamsSchema,
  UploadBodySchema,
  UploadHeadersSchema,
} from '../schemas.js';
import { abortOnDisconnect, readUploadHeaders } from '../upload.js';
import { streamingBodyCompiler } from '../validation.js';

/** Registers file upload, listing and download. */
export async function registerFileRoutes(app: ApiServer, context: RouteContext): Promise<void> {
  await app.register(async (scope) => registerUpload(scope, context));
  registerList(app, context);
  registerDownload(app, context);
}

/**
 * The upload lives in its own plugin scope because it replaces every body parser with a
 * pass-through: the handler streams `request.raw` into the store and never buffers it, while
 * the other routes keep Fastify's JSON parser.
 */
function registerUpload(scope: ApiServer, { registry, config }: RouteContext): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  scope.setErrorHandler((error, request, reply) => {
    sendProblem(explainUploadMediaType(error, request), request, reply);
  });

  scope.put(
    '/v1/packages/:id/files/*',
    {
      validatorCompiler: streamingBodyCompiler,
      schema: {
        tags: ['files'],
        summary: 'Upload one file into an open package; the body is the file bytes',
        consumes: ['*/*'],
        body: UploadBodySchema,
        headers: UploadHeadersSchema,
        params: FileParamsSchema,
        response: { 201: FileSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const checks = readUploadHeaders(request.raw, config.maxUploadBytes);
      const disconnect = abortOnDisconnect(request.raw);
      try {
        const file = await registry.ingestFile({
          ...checks,
          packageId: request.params.id,
          path: request.params['*'],
          body: request.raw,
          actor: actorOf(request),
          signal: disconnect.signal,
        });
        const location = fileLocation(file.packageId, file.path);
        return reply.code(201).header('location', location).send(file);
      } catch (err) {
        // A disconnect also fails the body stream; report the cause, not the stream error.
        throw disconnect.signal.aborted ? disconnect.signal.reason : err;
      } finally {
        disconnect.release();
      }
    },
  );
}

function registerList(app: ApiServer, { registry }: RouteContext): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/packages/:id/files',
    schema: {
      tags: ['files'],
      summary: 'List the files of a package in path order',
      params: PackageParamsSchema,
      querystring: ListFilesQuerySchema,
      response: { 200: FilePageSchema, ...ERROR_RESPONSES },
    },
    handler: async (request) => registry.listFiles(request.params.id, request.query),
  });
}

function registerDownload(app: ApiServer, { registry, config }: RouteContext): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/packages/:id/files/*',
    schema: {
      tags: ['files'],
      summary: 'Download a file; supports Range and If-None-Match',
      params: FileParamsSchema,
      response: DOWNLOAD_RESPONSES,
    },
    handler: async (request, reply) => {
      const { id, '*': path } = request.params;
      const file = await registry.getFile(id, path);
      return sendDownload(request, reply, {
        digest: file.digest,
        size: file.size,
        mediaType: file.mediaType,
        open: (range) => registry.openFile(id, path, range),
        presign: config.storage.presignDownloads
          ? () => registry.presignDownload(file.digest)
          : undefined,
      });
    },
  });
}
