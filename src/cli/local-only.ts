import type { Command } from 'commander';
import { StoreError } from '../errors/store-error.js';
import type { CliContext } from './cli-context.js';

/**
 * Rejects `--server` and ARTIFACTSTORE_SERVER_URL for a command that has no HTTP counterpart.
 * Running it on the local store while the user names a server would act on the wrong store, so
 * the command fails with INVALID_ARGUMENT (exit 6) before it opens anything.
 */
export function rejectServerOption(context: CliContext, command: Command, name: string): void {
  const server = context.server;
  if (server === undefined) return;
  const source =
    command.getOptionValueSourceWithGlobals('server') === 'env'
      ? 'ARTIFACTSTORE_SERVER_URL'
      : '--server';
  throw new StoreError(
    'INVALID_ARGUMENT',
    `${name} works only on the local store, not through a server, but ${source} is set to ${JSON.stringify(server)}; run it on the server's host with that store's settings and without ${source}`,
    { option: '--server', value: server },
  );
}
