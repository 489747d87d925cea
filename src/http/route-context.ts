import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from '../config/config.js';
import type { RegistryApi } from '../registry/registry-api.js';
import { decodeActorHeader } from './actor-header.js';

/** The Fastify instance that routes are registered on, with TypeBox type inference. */
export type ApiServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Dependencies of every route module besides the server. */
export interface RouteContext {
  readonly registry: RegistryApi;
  readonly config: Config;
}

/** Actor recorded when a request has no `X-Actor` header. */
export const ANONYMOUS_ACTOR = 'anonymous';

/**
 * Returns the actor of a change: the `X-Actor` header decoded by `decodeActorHeader` (raw UTF-8
 * or percent-encoded UTF-8), or `anonymous` when it is absent or empty.
 */
export function actorOf(request: FastifyRequest): string {
  const header = request.headers['x-actor'];
  const raw = Array.isArray(header) ? header[0] : header;
  const actor = raw === undefined ? undefined : decodeActorHeader(raw);
  return actor === undefined || actor.trim() === '' ? ANONYMOUS_ACTOR : actor;
}

/** Returns the URL path of a package. */
export function packageLocation(packageId: string): string {
  return `/v1/packages/${encodeURIComponent(packageId)}`;
}

/** Returns the URL path of a file, percent-encoding each segment of its relative path. */
export function fileLocation(packageId: string, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${packageLocation(packageId)}/files/${encoded}`;
}
