import mysql from 'mysql2/promise';
import { gqlOk } from '../../test/helpers/graphql-client.js';
import { mysqlUrl } from '../../test/helpers/env.js';

/** Test support for the customers integration tests (not a test itself). */

export const RESOLVE = `mutation($i: ResolveIdentityInput!) { resolveIdentity(input: $i) {
  created linkedBy customer { id name phone address mergedInto { id } identities { kind channelType appId externalId } }
  suggestions { id reason score status customer { id } candidate { id } } } }`;
export const CREATE = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id name tags phone address identities { kind externalId } } } }`;
export const MERGE = `mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) {
  merge { id status reason mergedBy createdAt movedIdentities { id kind channelType } movedTags profileFields survivor { id } merged { id } }
  survivor { id level tags phone address identities { id kind externalId } mergedInto { id } }
  merged { id tags identities { id } mergedInto { id } } } }`;
export const UNMERGE = `mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) {
  merge { id status unmergedBy unmergedAt unmergeReason }
  survivor { id level tags phone address identities { id } mergedInto { id } }
  merged { id tags phone identities { id } mergedInto { id } } } }`;
export const SUGGESTIONS = `query($s: MergeSuggestionStatus, $c: ID) { mergeSuggestions(status: $s, customerId: $c) {
  nodes { id reason score status decidedBy customer { id } candidate { id } merge { id } } } }`;

export interface IdentityArgs {
  channelType: string;
  externalId: string;
  appId?: string;
  unionId?: string;
  phone?: string;
  phoneVerified?: boolean;
  appUserId?: string;
  name?: string;
  address?: string;
}

export async function resolveIdentity(url: string, serviceToken: string, i: IdentityArgs) {
  return (await gqlOk(url, RESOLVE, { i }, serviceToken)).resolveIdentity;
}

/** A direct connection to a test database, to look at what is really stored. */
export async function rawDb(db: string): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: mysqlUrl(db) });
}

export async function rows<T = Record<string, unknown>>(conn: mysql.Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await conn.query(sql, params);
  return r as T[];
}
