import { ERROR_RESPONSES, EventPageSchema, ListEventsQuerySchema } from '../schemas.js';
import type { ApiServer, RouteContext } from '../route-context.js';

/** Registers the event log reader. */
export function registerEventRoutes(app: ApiServer, { registry }: RouteContext): void {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'List events after a sequence number, oldest first',
        querystring: ListEventsQuerySchema,
        response: { 200: EventPageSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const after = request.query.after ?? 0;
      const items = await registry.listEvents({ after, limit: request.query.limit });
      return { items, nextAfter: items.at(-1)?.seq ?? after };
    },
  );
}
