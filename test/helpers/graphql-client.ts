export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
}

/** POSTs a GraphQL operation; returns status, data and errors without throwing on GraphQL errors. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlResult['errors'] };
  return { status: res.status, data: body.data, errors: body.errors };
}

/** Like gql but fails the test on any GraphQL error. */
export async function gqlOk<T = any>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const r = await gql<T>(url, query, variables, token);
  if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}
