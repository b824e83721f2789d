import { DomainError, toGraphQLError } from '../../_shared/errors.js';

/**
 * Runs a subscription's subscribe step. Over graphql-ws no formatError runs, so expected failures are thrown as
 * GraphQLErrors carrying their code (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND) for the client to branch on.
 */
export async function subscribeGuarded<T>(open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw e instanceof DomainError ? toGraphQLError(e) : e;
  }
}
