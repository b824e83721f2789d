import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

/** The stable error codes a client may branch on. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure of a service rule. Services throw it; it never carries a stack to the client. */
export class DomainError extends Error {
  constructor(
    public readonly code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>,
    message: string,
    public readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, field?: string) => new DomainError('BAD_USER_INPUT', message, field);
export const notFound = (what: string, id: string) => new DomainError('NOT_FOUND', `${what} ${id} not found`);
export const forbidden = (message = 'not allowed for your role') => new DomainError('FORBIDDEN', message);
export const unauthenticated = (message = 'a valid bearer token is required') => new DomainError('UNAUTHENTICATED', message);
export const conflict = (message: string) => new DomainError('CONFLICT', message);

export function toGraphQLError(e: DomainError): GraphQLError {
  return new GraphQLError(e.message, { extensions: { code: e.code, ...(e.field ? { field: e.field } : {}) } });
}

const PASS_THROUGH = new Set([
  'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT',
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo Server's formatError: expected errors keep their code; class-validator failures become
 * BAD_USER_INPUT naming the fields; anything else is masked behind an id that the log line carries too.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    if (original instanceof DomainError) {
      return { ...formatted, message: original.message, extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) } };
    }
    type V = Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }>;
    const o = original as { validationErrors?: V; extensions?: { validationErrors?: V } };
    const validation = o?.extensions?.validationErrors ?? o?.validationErrors;
    if (Array.isArray(validation)) {
      const fields = flattenValidation(validation);
      return {
        message: `Invalid input: ${fields.map((f) => `${f.field} ${f.problem}`).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', fields },
      };
    }
    const code = formatted.extensions?.code as string | undefined;
    if (code && PASS_THROUGH.has(code)) return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    if (!formatted.path && !code) return formatted; // request-level errors from graphql-js itself (syntax, validation)
    const errorId = randomUUID();
    log.error({ errorId, err: original, path: formatted.path }, 'unexpected error');
    return { message: `Internal server error (id ${errorId})`, path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}

function flattenValidation(
  errors: Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }>,
  prefix = '',
): Array<{ field: string; problem: string }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((problem) => ({ field, problem: problem.replace(new RegExp(`^${e.property}\\s*`), '') }));
    const nested = flattenValidation((e.children ?? []) as typeof errors, field);
    return [...own, ...nested];
  });
}
