import type { Command } from 'commander';
import { CliContext } from '../cli-context.js';

/** Registers `replay`: rebuild every view of the embedded store from its event log. */
export function registerReplayCommand(program: Command, signal: AbortSignal): void {
  program
    .command('replay')
    .description('rebuild every view of the local store from the event log')
    .action(async (_options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      const registry = await context.openRegistry();
      try {
        const result = await registry.replay();
        context.printer.result(
          result,
          () => `replayed ${result.events} events, last sequence ${result.lastSeq}`,
        );
      } finally {
        await registry.close();
      }
    });
}
