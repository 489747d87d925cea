import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { StoreError } from '../../errors/store-error.js';
import type { Config } from '../../config/config.js';
import { CliContext } from '../cli-context.js';
import { parseIntegerOption } from '../option-values.js';

interface ServeOptions {
  host?: string;
  port?: string;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

async function startServer(config: Config, logger: Logger): Promise<FastifyInstance> {
  // Imported on use, so that other commands do not load Fastify and the database drivers.
  const { buildServer } = await import('../../http/server.js');
  const { openRegistry } = await import('../../registry/open-registry.js');
  const registry = await openRegistry(config, { logger });
  try {
    return await buildServer({ registry, config, logger });
  } catch (err) {
    await registry.close();
    throw err;
  }
}

/**
 * Registers `serve`: run the HTTP service until SIGINT or SIGTERM, then stop accepting
 * connections, let requests in flight finish, close the registry and exit 0. A second signal
 * exits at once with status 130.
 */
export function registerServeCommand(program: Command, signal: AbortSignal): void {
  program
    .command('serve')
    .description('run the HTTP service until SIGINT or SIGTERM')
    .option('--host <host>', 'address to listen on (default: ARTIFACTSTORE_HOST or 127.0.0.1)')
    .option('--port <port>', 'TCP port, 0 for any free one (default: ARTIFACTSTORE_PORT or 8000)')
    .action(async (options: ServeOptions, command: Command) => {
      const context = new CliContext(command, signal);
      const loaded = context.config();
      const port =
        options.port === undefined
          ? loaded.port
          : parseIntegerOption('--port', options.port, 0, 65535);
      const config: Config = Object.freeze({ ...loaded, host: options.host ?? loaded.host, port });
      // Imported on use, so that registering this command does not load pino.
      const { createLogger } = await import('../../logging/logger.js');
      const logger = createLogger(context.printer.debugEnabled ? 'debug' : config.logLevel);

      const server = await startServer(config, logger);
      try {
        const url = await server
          .listen({ host: config.host, port: config.port })
          .catch((err: unknown) => {
            throw listenError(err, config);
          });
        context.printer.note(`artifactstore: listening on ${url}`);
        await waitForAbort(signal);
        logger.info({ reason: String(signal.reason) }, 'closing the server');
      } finally {
        await server.close();
      }
      context.printer.note('artifactstore: server closed');
    });
}

/** Returns an error that names the fix when the address is in use, and any other error as it is. */
function listenError(err: unknown, config: Config): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err;
  return new StoreError(
    'INVALID_CONFIG',
    `${config.host}:${config.port} is already in use; stop the process listening there, or choose another port with --port or ARTIFACTSTORE_PORT`,
    { host: config.host, port: config.port },
    err,
  );
}
