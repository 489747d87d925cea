import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type Config, loadConfig } from '../config/config.js';
import type { StoreClient } from '../client/store-client.js';
import type { Registry } from '../registry/registry.js';
import { Printer } from './printer.js';

/** Options every command accepts, parsed by commander. */
export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  server?: string;
  actor?: string;
}

/**
 * Dependencies of a command besides its own options: the printer, the cancellation signal, and
 * factories for the configuration, the local registry and a store client.
 */
export class CliContext {
  readonly printer: Printer;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  readonly #globals: GlobalOptions;
  #config: Config | undefined;

  /** Builds the context of one command run from its parsed options. */
  constructor(command: Command, signal: AbortSignal) {
    this.#globals = command.optsWithGlobals<GlobalOptions>();
    this.printer = new Printer({
      json: this.#globals.json === true,
      debug: this.#globals.debug === true,
    });
    this.signal = signal;
  }

  /** Server URL from `--server` or ARTIFACTSTORE_SERVER_URL, if any. */
  get server(): string | undefined {
    return this.#globals.server || undefined;
  }

  /** Actor recorded on changes: `--actor`, else the name of the operating-system user. */
  get actor(): string {
    return this.#globals.actor || currentUser();
  }

  /** Loads the configuration once; INVALID_CONFIG names the first unusable variable. */
  config(): Config {
    this.#config ??= loadConfig(process.env);
    return this.#config;
  }

  /**
   * Logger handed to the registry and the database layer. Without `--debug` there is none, so
   * that only the printer writes to the terminal. With it, JSON lines go to stderr at debug level.
   */
  async logger(): Promise<Logger | undefined> {
    if (this.#globals.debug !== true) return undefined;
    // Imported on use: apart from `serve`, only a run with --debug needs pino.
    const { pino } = await import('pino');
    const { createLogger } = await import('../logging/logger.js');
    return createLogger('debug', pino.destination({ fd: 2, sync: true }));
  }

  /** Opens the embedded registry. `migrate: false` leaves the database schema as it is. */
  async openRegistry(options: { migrate?: boolean } = {}): Promise<Registry> {
    const config = this.config();
    // Imported on use, so that a command run with --server loads neither the database layer
    // nor the storage backends.
    const { openRegistry } = await import('../registry/open-registry.js');
    const registry = await openRegistry(config, {
      logger: await this.logger(),
      migrate: options.migrate,
    });
    this.printer.debug(`opened the store at ${registry.database.displayUrl}`);
    return registry;
  }

  /**
   * Opens a client of the server named by `--server`, or of the embedded store otherwise.
   * `connections` bounds the HTTP connections kept open to the server.
   */
  async openClient(options: { connections?: number } = {}): Promise<StoreClient> {
    const server = this.server;
    if (server !== undefined) {
      this.printer.debug(`using the server at ${server}`);
      const { HttpClient } = await import('../client/http-client.js');
      return new HttpClient({
        server,
        actor: this.actor,
        connections: options.connections,
        signal: this.signal,
      });
    }
    const registry = await this.openRegistry();
    const { LocalClient } = await import('../client/local-client.js');
    return new LocalClient(registry, { target: registry.database.displayUrl, actor: this.actor });
  }
}

function currentUser(): string {
  try {
    return userInfo().username || 'anonymous';
  } catch {
    return 'anonymous';
  }
}
