import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { VERSION } from '../config/version.js';
import type { RegistryApi } from '../registry/registry-api.js';
import { handleClientError } from './client-errors.js';
import { registerJsonBodyParser } from './json-body.js';
import { createFrameworkErrorHandler, registerProblemHandlers } from './problem.js';
import { validatorCompiler } from './validation.js';
import type { ApiServer, RouteContext } from './route-context.js';
import { registerEventRoutes } from './routes/events.js';
import { registerFileRoutes } from './routes/files.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerManifestRoutes } from './routes/manifest.js';
import { registerObjectRoutes } from './routes/objects.js';
import { registerPackageRoutes } from './routes/packages.js';

/** Dependencies of `buildServer`: the registry it serves, its settings and its logger. */
export interface ServerOptions {
  registry: RegistryApi;
  config: Config;
  logger: Logger;
}

const MIB = 1024 * 1024;

/**
 * Maximum length of one `:name` path parameter, in characters after percent-decoding (Fastify's
 * default). Package ids are 26-character ULIDs and digests 71 characters. The wildcard that
 * carries a file path is not limited by it, so paths up to their own limit of 1024 UTF-8 bytes
 * (3072 characters percent-encoded) reach the route and its path checks.
 */
const MAX_PARAM_LENGTH = 100;

/**
 * Returns the maximum JSON request body, in bytes. Package metadata is the only large member, and
 * its limit applies to its re-serialized JSON text, so the raw body gets room for whitespace and
 * escapes. A body within this bound but with oversized metadata fails with INVALID_METADATA.
 */
function jsonBodyLimit(config: Config): number {
  return Math.max(MIB, 4 * config.maxMetadataBytes + 64 * 1024);
}

async function registerDocs(app: ApiServer): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'artifactstore',
        version: VERSION,
        description: 'Content-addressed artifact store. Errors are RFC 9457 problem documents.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

async function registerRoutes(app: ApiServer, context: RouteContext): Promise<void> {
  registerHealthRoutes(app, context, VERSION);
  registerPackageRoutes(app, context);
  await registerFileRoutes(app, context);
  registerManifestRoutes(app, context);
  registerObjectRoutes(app, context);
  registerEventRoutes(app, context);
}

/**
 * Builds the HTTP service over `registry`, ready to `listen` on `config.host`/`config.port`.
 * Every error response is a problem document (see problem.ts). Closing the server closes the
 * registry too.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { registry, config, logger } = options;
  const routes: string[] = [];
  const app: ApiServer = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: jsonBodyLimit(config),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: createFrameworkErrorHandler({ routes, maxParamLength: MAX_PARAM_LENGTH }),
    clientErrorHandler: handleClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // The framework error handler matches these patterns to name a path parameter over the limit.
  app.addHook('onRoute', (route) => {
    routes.push(route.url);
  });

  // JSON is the only request body outside the upload route, which installs its own parser.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; they must not drop or coerce fields on the way out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerProblemHandlers(app, { maxMetadataBytes: config.maxMetadataBytes });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onClose', async () => registry.close());

  await registerDocs(app);
  await registerRoutes(app, { registry, config });
  return app as unknown as FastifyInstance;
}

/** A listening server and its base URL. */
export interface StartedServer {
  server: FastifyInstance;
  url: string;
}

/** Builds the server and listens on `config.host` and `config.port` (0 picks a free port). */
export async function startServer(options: ServerOptions): Promise<StartedServer> {
  const server = await buildServer(options);
  try {
    const url = await server.listen({ host: options.config.host, port: options.config.port });
    return { server, url };
  } catch (err) {
    await server.close();
    throw err;
  }
}
