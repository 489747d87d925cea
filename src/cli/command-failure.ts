/**
 * Failure of a command after it left something behind that a script may continue, such as the
 * open package of a failed push. It wraps the error that stopped the command, whose code and
 * exit status stay in force, and adds `details` to those that `--json` prints, including for a
 * cancelled command.
 */
export class CommandFailure extends Error {
  readonly details: Readonly<Record<string, unknown>>;

  constructor(cause: unknown, details: Readonly<Record<string, unknown>>) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'CommandFailure';
    this.details = details;
  }
}

/**
 * Returns the error that stopped a command, with any `CommandFailure` wrappers removed, and the
 * details those wrappers added. An inner wrapper's details win over an outer one's.
 */
export function unwrapCommandFailure(err: unknown): {
  error: unknown;
  details: Record<string, unknown>;
} {
  let error = err;
  let details: Record<string, unknown> = {};
  // Bounded: a wrapper chain is as deep as the commands that wrap, in practice one.
  for (let depth = 0; error instanceof CommandFailure && depth < 10; depth += 1) {
    details = { ...details, ...error.details };
    error = error.cause;
  }
  return { error, details };
}
