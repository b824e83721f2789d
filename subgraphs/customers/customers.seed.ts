import { DEMO_CUSTOMERS, DEMO_TENANT } from '../_shared/demo-data.js';
import type { CustomersServices } from './customers.services.js';

export async function seedCustomersDemo(s: CustomersServices): Promise<void> {
  await s.tenants.ensure(DEMO_TENANT.id, DEMO_TENANT.name);
  const existing = new Set((await s.customers.byIds(DEMO_TENANT.id, DEMO_CUSTOMERS.map((c) => c.id))).map((c) => c.id));
  for (const c of DEMO_CUSTOMERS) {
    if (existing.has(c.id)) continue;
    await s.customers.create(DEMO_TENANT.id, {
      id: c.id,
      name: c.name,
      level: c.level,
      tags: c.tags,
      identities: c.identities.map(([channelType, externalId]) => ({ channelType, externalId })),
    });
  }
}
