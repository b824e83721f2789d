import { randomBytes } from 'node:crypto';
import { signToken, type Role } from '../../subgraphs/_shared/auth.js';
import { DEV_JWT_SECRET } from '../../subgraphs/_shared/env.js';

/** Real services the integration and e2e tests use; scripts/test.sh makes sure they are up. */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_SECRET = DEV_JWT_SECRET;

/** A MariaDB database for one test file (created on first connect). */
export const mysqlUrl = (name: string) => `${TEST_MYSQL_URL}/huiliu_test_${name}`;

/** Every test seeds its own tenant, so files run in any order without truncating tables. */
export const newTenant = (label = 't') => `${label}_${randomBytes(4).toString('hex')}`;

export function tokenFor(tenant: string, roles: Role[] = ['admin'], sub = `user-${randomBytes(3).toString('hex')}`): Promise<string> {
  return signToken({ tenant, roles, sub }, TEST_SECRET);
}
