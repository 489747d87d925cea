import { BannerSchema, HealthSchema } from '../schemas.js';
import type { ApiServer, RouteContext } from '../route-context.js';

/** Registers the banner at `/` and the health probe at `/health`. */
export function registerHealthRoutes(
  app: ApiServer,
  { registry }: RouteContext,
  version: string,
): void {
  app.get(
    '/',
    {
      schema: {
        tags: ['service'],
        summary: 'Name and version of the service',
        response: { 200: BannerSchema },
      },
    },
    async () => ({ name: 'artifactstore' as const, version, docs: '/docs' }),
  );

  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Probe the database and the storage backend',
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const health = await registry.health();
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
}
