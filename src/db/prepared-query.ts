import type { Compilable, CompiledQuery, DatabaseConnection, Expression, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.js';

/** Stand-in for a named parameter, which the compiler puts in the parameter list of a template. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** Function that returns the expression for parameter `name` of a prepared query. */
export type ParamFunction<P> = <K extends keyof P & string>(name: K) => Expression<P[K]>;

/** Function that builds the query of a prepared query, with `param` for each value that varies. */
export type QueryTemplate<P> = (db: Kysely<Database>, param: ParamFunction<P>) => Compilable;

interface CompiledTemplate {
  query: CompiledQuery;
  /** For each parameter of `query`, the placeholder to fill in or a value fixed in the template. */
  slots: readonly unknown[];
}

/**
 * A query that is built and compiled once per Kysely instance and then bound to new parameter
 * values. Building and compiling a Kysely query costs more than running a simple statement on
 * SQLite, so statements that run once per event are prepared this way. The SQL text comes from
 * the query compiler of the instance it is bound on, so one template serves SQLite and
 * PostgreSQL. Every binding also carries the same SQL string object, which keeps the lookup in
 * the SQLite statement cache cheap (see sqlite-statement-cache.ts).
 */
export class PreparedQuery<P> {
  readonly #template: QueryTemplate<P>;
  /**
   * Compiled templates by Kysely instance, because the SQL text depends on the instance's dialect.
   * Each transaction has its own instance, so a transaction compiles the templates it uses once.
   */
  readonly #compiled = new WeakMap<Kysely<Database>, CompiledTemplate>();

  constructor(template: QueryTemplate<P>) {
    this.#template = template;
  }

  /** Returns the query compiled for `db` with `values` bound to its parameters. */
  bind(db: Kysely<Database>, values: P): CompiledQuery {
    const { query, slots } = this.#compile(db);
    const parameters = slots.map((slot) =>
      slot instanceof Placeholder ? values[slot.name as keyof P] : slot,
    );
    return { sql: query.sql, query: query.query, queryId: query.queryId, parameters };
  }

  #compile(db: Kysely<Database>): CompiledTemplate {
    let compiled = this.#compiled.get(db);
    if (compiled === undefined) {
      const param = (name: string) => sql.val(new Placeholder(name));
      const query = this.#template(db, param as ParamFunction<P>).compile();
      compiled = { query, slots: query.parameters };
      this.#compiled.set(db, compiled);
    }
    return compiled;
  }
}

/**
 * Runs `work` with the database connection of `db`, so that it can run compiled queries straight
 * on the driver. Inside a transaction this is the transaction's connection. A query run through
 * `db.executeQuery` passes several asynchronous layers of Kysely's executor, which took about a
 * quarter of the CPU time of a replay on SQLite. Queries run this way skip Kysely plugins, which
 * the store does not use.
 *
 * NOTE: `getExecutor()` is marked internal in Kysely 0.28, although its type is exported. The
 * replay and append tests run every view statement through here on SQLite and PostgreSQL, so a
 * Kysely upgrade that changes it fails them.
 */
export function withConnection<T>(
  db: Kysely<Database>,
  work: (connection: DatabaseConnection) => Promise<T>,
): Promise<T> {
  return db.getExecutor().provideConnection(work);
}
