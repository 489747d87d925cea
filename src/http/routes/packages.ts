import {
  ActorHeadersSchema,
  CreatePackageBodySchema,
  ERROR_RESPONSES,
  FinalizeResultSchema,
  ListPackagesQuerySchema,
  PackagePageSchema,
  PackageParamsSchema,
  PackageSchema,
} from '../schemas.js';
import { type ApiServer, type RouteContext, actorOf, packageLocation } from '../route-context.js';

/** Registers package creation, listing, lookup and finalization. */
export function registerPackageRoutes(app: ApiServer, { registry }: RouteContext): void {
  app.post(
    '/v1/packages',
    {
      schema: {
        tags: ['packages'],
        summary: 'Create an open package',
        headers: ActorHeadersSchema,
        body: CreatePackageBodySchema,
        response: { 201: PackageSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const created = await registry.createPackage({ ...request.body, actor: actorOf(request) });
      return reply.code(201).header('location', packageLocation(created.id)).send(created);
    },
  );

  app.get(
    '/v1/packages',
    {
      schema: {
        tags: ['packages'],
        summary: 'List packages in creation order',
        querystring: ListPackagesQuerySchema,
        response: { 200: PackagePageSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => registry.listPackages(request.query),
  );

  app.get(
    '/v1/packages/:id',
    {
      schema: {
        tags: ['packages'],
        summary: 'Get a package',
        params: PackageParamsSchema,
        response: { 200: PackageSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => registry.getPackage(request.params.id),
  );

  app.post(
    '/v1/packages/:id/finalize',
    {
      schema: {
        tags: ['packages'],
        summary: 'Freeze a package and store its manifest',
        headers: ActorHeadersSchema,
        params: PackageParamsSchema,
        response: { 200: FinalizeResultSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => registry.finalize({ packageId: request.params.id, actor: actorOf(request) }),
  );
}
