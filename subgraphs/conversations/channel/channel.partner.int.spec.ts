import { signPayload } from '../../../plugins/sdk/index.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { conversationsWithIngest } from '../ingest/ingest.module.js';

jest.setTimeout(60_000);

const REGISTER = `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret webhookUrl channel { id type ownerId } } }`;
const CHANNELS = `{ channels { id name enabled ownerId config } }`;
const UPDATE = `mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id name enabled } } }`;
const DISABLE = `mutation($i: DisableChannelInput!) { disableChannel(input: $i) { channel { id enabled } } }`;
const ROTATE = `mutation($i: RotatePartnerChannelSecretInput!) { rotatePartnerChannelSecret(input: $i) { secret channel { id } } }`;

const codeOf = (r: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => r.errors?.[0]?.extensions?.code;

describe('partner channels: ownership (two partners of one tenant, MariaDB)', () => {
  let sg: TestSubgraph;
  const tenant = newTenant('own');
  let admin: string;
  let agent: string;
  let acme: string;
  let globex: string;
  let mine: { id: string; secret: string };
  let theirs: { id: string; secret: string };

  /** A signed partner delivery to the webhook: its HTTP status. */
  const deliver = async (channelId: string, secret: string, id: string) => {
    const body = JSON.stringify({ id, contact: { identifier: 'user-1' }, text: 'hi' });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${sg.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload(secret, ts, body) }, body,
    });
    return res.status;
  };

  beforeAll(async () => {
    // no customers subgraph: deliveries are acknowledged and stored, which is all these tests look at
    sg = await startTestSubgraph(conversationsWithIngest({ jwtSecret: TEST_SECRET, sweepIntervalMs: 0, processInline: false }), { db: 'chanpartner', stream: 'chanpartner' });
    [admin, agent, acme, globex] = await Promise.all([tokenFor(tenant, ['admin']), tokenFor(tenant, ['agent']), tokenFor(tenant, ['partner'], 'partner-acme'), tokenFor(tenant, ['partner'], 'partner-globex')]);
    const a = (await gqlOk(sg.url, REGISTER, { i: { name: 'Acme', callbackUrl: 'https://acme.example/cb' } }, acme)).registerPartnerChannel;
    const g = (await gqlOk(sg.url, REGISTER, { i: { name: 'Globex', callbackUrl: 'https://globex.example/cb' } }, globex)).registerPartnerChannel;
    expect(a.channel).toMatchObject({ type: 'partner-api', ownerId: 'partner-acme' });
    expect(g.channel.ownerId).toBe('partner-globex');
    mine = { id: a.channel.id, secret: a.secret };
    theirs = { id: g.channel.id, secret: g.secret };
    await gqlOk(sg.url, `mutation { createChannel(input: { type: "app", name: "Brand app" }) { channel { id } } }`, {}, admin);
  });

  afterAll(() => sg?.close());

  test('a partner sees only its own channels (with its redacted config); staff see all of the tenant', async () => {
    const own = (await gqlOk(sg.url, CHANNELS, {}, acme)).channels;
    expect(own).toEqual([{ id: mine.id, name: 'Acme', enabled: true, ownerId: 'partner-acme', config: { secret: '[redacted]', callbackUrl: 'https://acme.example/cb' } }]);
    expect((await gqlOk(sg.url, CHANNELS, {}, globex)).channels.map((c: { id: string }) => c.id)).toEqual([theirs.id]);
    const all = (await gqlOk(sg.url, CHANNELS, {}, admin)).channels;
    expect(all.map((c: { name: string }) => c.name).sort()).toEqual(['Acme', 'Brand app', 'Globex']);
    const seenByAgent = (await gqlOk(sg.url, CHANNELS, {}, agent)).channels;
    expect(seenByAgent).toHaveLength(3);
    expect(seenByAgent.every((c: { config: unknown }) => c.config === null)).toBe(true); // configs: admins and the owner only
    // One channel by id, with the same scopes: another partner's reads as none.
    const ONE = `query($id: ID!) { channel(id: $id) { id name config } }`;
    expect((await gqlOk(sg.url, ONE, { id: mine.id }, acme)).channel).toEqual({ id: mine.id, name: 'Acme', config: { secret: '[redacted]', callbackUrl: 'https://acme.example/cb' } });
    expect((await gqlOk(sg.url, ONE, { id: theirs.id }, acme)).channel).toBeNull();
    expect((await gqlOk(sg.url, ONE, { id: theirs.id }, agent)).channel).toMatchObject({ id: theirs.id, config: null });
    expect((await gqlOk(sg.url, ONE, { id: 'not-a-channel' }, admin)).channel).toBeNull();
  });

  test("acting on another partner's channel is NOT_FOUND, and changes nothing", async () => {
    expect(codeOf(await gql(sg.url, UPDATE, { i: { id: theirs.id, name: 'hijacked', config: { secret: 'z'.repeat(43), callbackUrl: 'https://evil.example/cb' } } }, acme))).toBe('NOT_FOUND');
    expect(codeOf(await gql(sg.url, DISABLE, { i: { id: theirs.id } }, acme))).toBe('NOT_FOUND');
    expect(codeOf(await gql(sg.url, ROTATE, { i: { id: theirs.id } }, acme))).toBe('NOT_FOUND');
    // nor on the channels admins created
    const app = (await gqlOk(sg.url, CHANNELS, {}, admin)).channels.find((c: { name: string }) => c.name === 'Brand app');
    expect(codeOf(await gql(sg.url, DISABLE, { i: { id: app.id } }, acme))).toBe('NOT_FOUND');
    // and a partner creates nothing but its own partner channels
    expect(codeOf(await gql(sg.url, `mutation { createChannel(input: { type: "web", name: "x" }) { channel { id } } }`, {}, acme))).toBe('FORBIDDEN');
    expect(codeOf(await gql(sg.url, DISABLE, { i: { id: theirs.id } }, agent))).toBe('FORBIDDEN');

    const g = (await gqlOk(sg.url, CHANNELS, {}, globex)).channels[0];
    expect(g).toMatchObject({ name: 'Globex', enabled: true, config: { secret: '[redacted]', callbackUrl: 'https://globex.example/cb' } });
    expect(await deliver(theirs.id, theirs.secret, 'g-1')).toBe(200); // Globex's secret was not rotated
  });

  test('a partner updates, rotates the secret of, and disables its own channel', async () => {
    const renamed = (await gqlOk(sg.url, UPDATE, { i: { id: mine.id, name: 'Acme CRM', config: { secret: '[redacted]', callbackUrl: 'https://acme.example/v2/cb' } } }, acme)).updateChannel.channel;
    expect(renamed).toEqual({ id: mine.id, name: 'Acme CRM', enabled: true });
    expect((await gqlOk(sg.url, CHANNELS, {}, acme)).channels[0].config).toEqual({ secret: '[redacted]', callbackUrl: 'https://acme.example/v2/cb' });
    expect(await deliver(mine.id, mine.secret, 'a-1')).toBe(200); // "[redacted]" kept the secret

    // rotation: the new secret works at once, the old one until the next rotation
    const first = (await gqlOk(sg.url, ROTATE, { i: { id: mine.id } }, acme)).rotatePartnerChannelSecret.secret;
    expect(first).not.toBe(mine.secret);
    expect(await deliver(mine.id, first, 'a-2')).toBe(200);
    expect(await deliver(mine.id, mine.secret, 'a-3')).toBe(200);
    const second = (await gqlOk(sg.url, ROTATE, { i: { id: mine.id, keepPreviousSecret: false } }, acme)).rotatePartnerChannelSecret.secret;
    expect(await deliver(mine.id, second, 'a-4')).toBe(200);
    expect(await deliver(mine.id, first, 'a-5')).toBe(401);
    expect(await deliver(mine.id, mine.secret, 'a-6')).toBe(401);

    // admins reach every channel of the tenant; a rotation only makes sense for partner channels
    const app = (await gqlOk(sg.url, CHANNELS, {}, admin)).channels.find((c: { name: string }) => c.name === 'Brand app');
    expect(codeOf(await gql(sg.url, ROTATE, { i: { id: app.id } }, admin))).toBe('BAD_USER_INPUT');
    expect((await gqlOk(sg.url, ROTATE, { i: { id: theirs.id, keepPreviousSecret: false } }, admin)).rotatePartnerChannelSecret.secret).toHaveLength(43);

    expect((await gqlOk(sg.url, DISABLE, { i: { id: mine.id } }, acme)).disableChannel.channel).toEqual({ id: mine.id, enabled: false });
    expect(await deliver(mine.id, second, 'a-7')).toBe(403);
  });

  test("another tenant's partner reaches nothing here", async () => {
    const stranger = await tokenFor(newTenant('other'), ['partner'], 'partner-acme'); // same sub, other tenant
    expect((await gqlOk(sg.url, CHANNELS, {}, stranger)).channels).toEqual([]);
    expect(codeOf(await gql(sg.url, ROTATE, { i: { id: mine.id } }, stranger))).toBe('NOT_FOUND');
  });
});
