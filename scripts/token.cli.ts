import { parseArgs } from 'node:util';
import { ROLES, signToken, type Role } from '../subgraphs/_shared/auth.js';
import { DEV_JWT_SECRET } from '../subgraphs/_shared/env.js';

/** npm run token -- --tenant demo --role agent --sub <agentId>: a development token signed with JWT_SECRET. */
async function main() {
  const { values } = parseArgs({
    options: { tenant: { type: 'string', default: 'demo' }, role: { type: 'string', multiple: true }, sub: { type: 'string', default: 'dev-user' }, expires: { type: 'string', default: '12h' } },
  });
  const roles = (values.role?.length ? values.role : ['admin']).flatMap((r) => r.split(','));
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length) {
    console.error(`unknown role ${bad.join(', ')}; roles are ${ROLES.join(', ')}`);
    process.exit(2);
  }
  const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
  console.log(await signToken({ tenant: values.tenant!, sub: values.sub!, roles: roles as Role[] }, secret, values.expires));
}

void main();
