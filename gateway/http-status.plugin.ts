import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

const CLIENT_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST']);

/**
 * A malformed or invalid operation is the client's fault: answer HTTP 400 whatever the Accept header.
 * Yoga marks these errors `http.spec`, which makes it answer 200 to plain application/json clients
 * (the GraphQL-over-HTTP legacy rule); clearing the mark before the response is built gives 400 to all.
 */
export function useBadRequestStatus(): GatewayPlugin {
  return {
    onResultProcess({ result }) {
      const errors = (result as { errors?: Array<{ extensions?: { code?: string; http?: { spec?: boolean } } }> } | undefined)?.errors;
      for (const e of errors ?? []) {
        if (e.extensions?.http?.spec && CLIENT_ERRORS.has(e.extensions.code ?? '')) e.extensions.http.spec = false;
      }
    },
  };
}
