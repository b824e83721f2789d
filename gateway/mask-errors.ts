import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Logger } from '../subgraphs/_shared/logger.js';

/**
 * The gateway's error masking, like the subgraphs': expected GraphQL errors (subgraph errors with their codes,
 * validation) pass through; anything else becomes "Internal server error (id …)" and the log line has the id.
 */
export function createGatewayErrorMask(log: Logger) {
  return (error: unknown): Error => {
    const expected = error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError);
    if (expected) return error;
    const errorId = randomUUID();
    const original = error instanceof GraphQLError ? error.originalError : error;
    log.error({ errorId, err: original, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected error');
    return new GraphQLError(`Internal server error (id ${errorId})`, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    });
  };
}
