import type { FastifyInstance } from 'fastify';
import { explainInvalidJson } from './framework-errors.js';

/**
 * Replaces Fastify's `application/json` body parser with a wrapper around it. An empty body
 * counts as no body, because many clients send `Content-Type: application/json` on every
 * request: routes without a body schema then accept it, and routes that require a body report it
 * as missing (explainMissingBody). Invalid JSON is reported with the parser's reason. Parsing
 * stays with Fastify's default parser, which rejects `__proto__` and `constructor.prototype`
 * keys as set by the server's `onProtoPoisoning` and `onConstructorPoisoning` options.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error === null) done(null, value);
      else done(explainInvalidJson(error, request, text), undefined);
    });
  });
}
