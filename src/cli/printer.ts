import type { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { isStoreError } from '../errors/store-error.js';
import { unwrapCommandFailure } from './command-failure.js';

/** Output settings taken from the global options. */
export interface PrinterOptions {
  /** Print results and errors as JSON. */
  json: boolean;
  /** Print diagnostics (`debug:` lines, stacks) on stderr. */
  debug: boolean;
  stdout?: Writable;
  stderr?: Writable;
}

/** Error as `--json` prints it on stderr. */
export interface ErrorObject {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * User output of the CLI. Results go to stdout, as text or as JSON with `--json`. Warnings,
 * errors and progress go to stderr. Diagnostics go to stderr only with `--debug`.
 */
export class Printer {
  readonly json: boolean;
  readonly debugEnabled: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;

  constructor(options: PrinterOptions) {
    this.json = options.json;
    this.debugEnabled = options.debug;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** Prints a result: `value` as indented JSON with `--json`, else the lines of `render()`. */
  result(value: unknown, render: () => string | string[]): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = render();
    const lines = Array.isArray(text) ? text : [text];
    for (const line of lines) this.stdout.write(`${line}\n`);
  }

  /** Prints a note for the user on stderr, such as a hint or a summary that is not a result. */
  note(message: string): void {
    this.stderr.write(`${message}\n`);
  }

  /** Prints a warning on stderr. */
  warn(message: string): void {
    this.stderr.write(`artifactstore: warning: ${message}\n`);
  }

  /** Prints a diagnostic on stderr when `--debug` is set. */
  debug(message: string): void {
    if (this.debugEnabled) this.stderr.write(`debug: ${message}\n`);
  }

  /**
   * Prints an error on stderr: one `artifactstore: <message>` line, or `{error: {code, message,
   * details}}` with `--json`. With `--debug` the stack and causes follow.
   */
  error(err: unknown, cancelledBy?: string): void {
    const error = toErrorObject(err, cancelledBy);
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error })}\n`);
    } else {
      // The message of a 5xx error refers to the request id, so the line includes it.
      const requestId = error.details.requestId;
      const suffix = typeof requestId === 'string' ? ` (requestId ${requestId})` : '';
      this.stderr.write(`artifactstore: ${error.message}${suffix}\n`);
    }
    if (this.debugEnabled) this.#printStack(err);
  }

  #printStack(err: unknown): void {
    let current: unknown = err;
    for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
      const text = current instanceof Error ? (current.stack ?? current.message) : String(current);
      this.debug(depth === 0 ? text : `caused by: ${text}`);
      current = current instanceof Error ? current.cause : undefined;
    }
  }
}

function usageMessage(err: CommanderError): string {
  if (err.code === 'commander.help') return 'missing command; see the list above';
  // Commander puts its suggestion on a second line; the CLI prints errors on one line.
  const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  return `${message}; run with --help for usage`;
}

/**
 * Describes any error with a stable code: the `StoreError` code, `USAGE` for command-line errors,
 * `CANCELLED` after SIGINT or SIGTERM (named by `cancelledBy`), and `INTERNAL` for anything else.
 * The details that a `CommandFailure` adds, such as the `packageId` of a failed push, are kept
 * whatever the code.
 */
export function toErrorObject(err: unknown, cancelledBy?: string): ErrorObject {
  const { error, details } = unwrapCommandFailure(err);
  const described = describeError(error, cancelledBy);
  return { ...described, details: { ...described.details, ...details } };
}

function describeError(err: unknown, cancelledBy: string | undefined): ErrorObject {
  const message = err instanceof Error ? err.message : String(err);
  if (cancelledBy !== undefined) {
    return { code: 'CANCELLED', message: `cancelled by ${cancelledBy}`, details: {} };
  }
  if (isStoreError(err)) {
    return { code: err.code, message, details: { ...err.details } };
  }
  if (err instanceof CommanderError) {
    return { code: 'USAGE', message: usageMessage(err), details: {} };
  }
  return { code: 'INTERNAL', message, details: {} };
}
