import { type TSchema, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifySchemaCompiler } from 'fastify';
import { type ErrorCode, StoreError } from '../errors/store-error.js';

/** Request fields whose validation failure has its own error code instead of INVALID_ARGUMENT. */
const FIELD_CODES: Readonly<Record<string, ErrorCode>> = { 'body.metadata': 'INVALID_METADATA' };

/** Validation issue as Fastify passes it on: the TypeBox compiler reports them in Ajv's shape. */
interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function firstName(value: unknown): string | undefined {
  const named = Array.isArray(value) ? value[0] : value;
  return typeof named === 'string' ? named : undefined;
}

function issueField(context: string, issue: ValidationIssue): string {
  const segments = (issue.instancePath ?? '').split('/').filter((part) => part !== '');
  const params = issue.params ?? {};
  const named =
    firstName(params.requiredProperties) ??
    firstName(params.missingProperty) ??
    firstName(params.additionalProperties) ??
    firstName(params.additionalProperty);
  if (named !== undefined) segments.push(named);
  return [context, ...segments].join('.');
}

function issueProblem(issue: ValidationIssue): string {
  const params = issue.params ?? {};
  if (issue.keyword === 'required') return 'is missing';
  if (issue.keyword === 'additionalProperties') return 'is not an accepted field';
  if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  return issue.message ?? 'does not match the schema';
}

/**
 * Picks the issue to report. TypeBox reports an unexpected property twice, first as a `false`
 * sub-schema with no useful message, so such issues come last.
 */
function pickIssue(issues: readonly ValidationIssue[]): ValidationIssue {
  return issues.find((issue) => issue.keyword !== 'boolean') ?? issues[0] ?? {};
}

/**
 * Converts a Fastify validation error into INVALID_ARGUMENT naming the field as
 * `<part>.<path>` (`body.name`, `querystring.limit`), or into the field's own code where one
 * exists (`body.metadata` gives INVALID_METADATA).
 */
export function fromValidationError(error: FastifyError): StoreError {
  const context = error.validationContext ?? 'request';
  const issue = pickIssue((error.validation ?? []) as ValidationIssue[]);
  const field = issueField(context, issue);
  return new StoreError(
    FIELD_CODES[field] ?? 'INVALID_ARGUMENT',
    `invalid ${field}: it ${issueProblem(issue)}; see /docs for the expected request`,
    { field },
  );
}

/**
 * TypeBox validation for every request part, without type conversion of path parameters.
 * NOTE: TypeBox 1.4's `Value.Convert` turns property names into regular expressions, so the `*`
 * parameter of wildcard routes throws "Nothing to repeat". Path parameters of this API are all
 * strings and need no conversion, so they are checked like a body. Drop this wrapper once
 * TypeBox escapes property names.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) =>
  TypeBoxValidatorCompiler(route.httpPart === 'params' ? { ...route, httpPart: 'body' } : route);

/**
 * Validator compiler of routes whose body is a stream: the body schema only documents it, and
 * every other request part is validated as usual.
 */
export const streamingBodyCompiler: FastifySchemaCompiler<TSchema> = (route) =>
  route.httpPart === 'body' ? (value) => ({ value }) : validatorCompiler(route);
