import type { Connection } from 'mysql2/promise';
import { startFakeServer, type FakeServer } from '../../../plugins/sdk/testing/index.js';
import { wechatPush, wechatXml } from '../../../plugins/wechat-common/wechat.testing.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { parseKeyring } from '../../_shared/keyring.js';
import { customersSubgraph } from '../../customers/index.js';
import { rawDb, rows } from '../../customers/customers.testing.js';
import { eventually } from '../conversations.testing.js';
import { conversationsWithIngest } from '../ingest/ingest.module.js';

jest.setTimeout(60_000);

// Fixed keys (not random): rows of earlier runs stay readable by the next run's boot sweep.
const K1 = `k1:${Buffer.from('huiliu-test-channel-key-number-1').toString('base64')}`;
const K2 = `k2:${Buffer.from('huiliu-test-channel-key-number-2').toString('base64')}`;
const ring = (spec: string, active: string) => ({ keys: parseKeyring(spec).keys, activeKeyId: active });

const CFG = { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-sealed-0123456789', token: 'SeCr3tT0ken', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', mode: 'safe' };
const PLAIN = [CFG.appSecret, CFG.token, CFG.encodingAESKey];
const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id config health { status } } } }`;
const CHANNELS = `{ channels { id name config health { status lastError } } }`;
const MESSAGES = `{ conversations(first: 50) { nodes { id channel { id } messages { nodes { id text senderType } } } } }`;

let seq = 7_000_000_000_000_000_000n;
function push(openId: string, text: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  const body = wechatXml({ ToUserName: 'gh_test', FromUserName: openId, CreateTime: Number(ts), MsgType: 'text', Content: text, MsgId: String(seq++) });
  return wechatPush({ token: CFG.token, appId: CFG.appId, encodingAESKey: CFG.encodingAESKey, mode: 'safe', body, timestamp: ts, nonce: String(Math.floor(Math.random() * 1e9)) });
}

async function post(sg: TestSubgraph, channelId: string, req: { query: Record<string, string>; rawBody: Buffer }) {
  const res = await fetch(`${sg.url.replace(/\/graphql$/, '')}/webhooks/${channelId}?${new URLSearchParams(req.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: new Uint8Array(req.rawBody) });
  return { status: res.status, body: await res.text() };
}

const until = <T>(f: () => Promise<T | undefined | false>, ms = 15_000) => eventually(f, ms);

describe('channel secrets encrypted at rest (MariaDB)', () => {
  let fake: FakeServer;
  let customers: TestSubgraph;
  let conv: TestSubgraph | null = null;
  let db: Connection | undefined;
  const tenant = newTenant('sec');
  let admin: string;
  let agent: string;

  const start = async (keys: string, active: string) => {
    await conv?.close();
    conv = await startTestSubgraph(conversationsWithIngest({
      customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 200, publicBaseUrl: 'https://cs.example.com', secretKeys: ring(keys, active),
      plugins: ['builtins', { plugin: 'channel-wechat-oa', config: { apiBaseUrl: fake.url } }],
    }), { db: 'chansec', stream: 'chansec' });
    db ??= await rawDb('chansec'); // the database exists once a subgraph has migrated it
    return conv;
  };
  /** The config column exactly as MariaDB holds it. */
  const stored = async (id: string): Promise<string> => {
    const [r] = await rows<{ config: unknown }>(db!, 'SELECT config FROM channels WHERE id = ?', [id]);
    return typeof r.config === 'string' ? r.config : JSON.stringify(r.config);
  };
  const keyIds = (raw: string) => [...raw.matchAll(/"\$enc":"([^:"]+):/g)].map((m) => m[1]);
  const textsOf = async (sg: TestSubgraph, channelId: string) =>
    (await gqlOk(sg.url, MESSAGES, {}, admin)).conversations.nodes.filter((c: { channel: { id: string } | null }) => c.channel?.id === channelId)
      .flatMap((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.map((m) => m.text));

  beforeAll(async () => {
    fake = await startFakeServer({
      // the documented token endpoint: the AppSecret must arrive decrypted
      'GET /cgi-bin/token': (r) => (r.query.appid === CFG.appId && r.query.secret === CFG.appSecret
        ? { json: { access_token: 'TOKEN_SEALED_1', expires_in: 7200 } }
        : { json: { errcode: 40125, errmsg: 'invalid appsecret' } }),
      'POST /cgi-bin/message/custom/send': (r) => ({ json: r.query.access_token === 'TOKEN_SEALED_1' ? { errcode: 0, errmsg: 'ok' } : { errcode: 40001, errmsg: 'invalid credential' } }),
    });
    customers = await startTestSubgraph(customersSubgraph, { db: 'chansec_customers', stream: 'chansec_customers' });
    admin = await tokenFor(tenant, ['admin']);
    agent = await tokenFor(tenant, ['agent'], 'agent-sec');
  });

  afterAll(async () => {
    await conv?.close();
    await customers?.close();
    await db?.end();
    await fake?.close();
  });

  let channelId: string;

  test('the raw row holds no secret; GraphQL returns none; the webhook verifies and the reply uses the decrypted AppSecret', async () => {
    const sg = await start(K1, 'k1');
    const created = (await gqlOk(sg.url, CREATE, { i: { type: 'wechat-oa', name: 'Sealed OA', config: CFG } }, admin)).createChannel.channel;
    channelId = created.id;
    expect(created.config).toEqual({ appId: CFG.appId, appSecret: '[redacted]', token: '[redacted]', encodingAESKey: '[redacted]', mode: 'safe' });
    expect(created.health.status).toBe('UP');

    const raw = await stored(channelId);
    for (const s of PLAIN) expect(raw).not.toContain(s);
    expect(raw).toContain(CFG.appId); // non-secret fields stay readable (and usable in SQL)
    expect(keyIds(raw)).toEqual(['k1', 'k1', 'k1']);

    const listed = JSON.stringify((await gqlOk(sg.url, CHANNELS, {}, admin)).channels);
    for (const s of [...PLAIN, '$enc']) expect(listed).not.toContain(s);

    expect(await post(sg, channelId, push('oSealed', '密文配置也能收消息'))).toEqual({ status: 200, body: 'success' });
    const conversation = await until(async () => (await gqlOk(sg.url, MESSAGES, {}, admin)).conversations.nodes.find((c: { channel: { id: string } | null }) => c.channel?.id === channelId));
    const sent = (await gqlOk(sg.url, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { delivery { status errorCode } } } }`, { i: { conversationId: conversation.id, text: '收到' } }, agent)).sendMessage.message;
    expect(sent.delivery).toEqual({ status: 'SENT', errorCode: null });
    expect(fake.calls('GET /cgi-bin/token').at(-1)!.query).toMatchObject({ appid: CFG.appId, secret: CFG.appSecret });
  });

  test('an update echoing "[redacted]" keeps the sealed secrets', async () => {
    const sg = conv!;
    const shown = (await gqlOk(sg.url, CHANNELS, {}, admin)).channels.find((c: { id: string }) => c.id === channelId).config;
    const before = await stored(channelId);
    await gqlOk(sg.url, `mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id } } }`, { i: { id: channelId, name: 'Sealed OA (renamed)', config: shown } }, admin);
    const after = await stored(channelId);
    for (const s of PLAIN) expect(after).not.toContain(s);
    expect(keyIds(after)).toEqual(['k1', 'k1', 'k1']);
    expect(after).not.toBe(before); // sealed again (fresh IVs), same secrets:
    expect((await post(sg, channelId, push('oSealed', 'after update'))).status).toBe(200);
  });

  test('plaintext rows from before encryption keep working and are sealed at boot; rotating keys keeps every row readable', async () => {
    // a channel stored before encryption existed (the migration cannot encrypt: keys are configuration)
    const legacyId = newId();
    await db!.query('INSERT INTO channels (id, tenant_id, type, name, enabled, config, created_at) VALUES (?, ?, ?, ?, 1, ?, NOW(3))',
      [legacyId, tenant, 'wechat-oa', 'Legacy OA', JSON.stringify(CFG)]);
    expect(await stored(legacyId)).toContain(CFG.appSecret);
    expect(await post(conv!, legacyId, push('oLegacy', 'legacy row, plaintext'))).toEqual({ status: 200, body: 'success' });

    // k2 becomes active (k1 still configured): the boot sweep seals the legacy row and moves the k1 row over
    const b = await start(`${K1},${K2}`, 'k2');
    const sealed = await until(async () => {
      const [l, c] = [await stored(legacyId), await stored(channelId)];
      return keyIds(l).length === 3 && [...keyIds(l), ...keyIds(c)].every((k) => k === 'k2') ? l : undefined;
    });
    for (const s of PLAIN) expect(sealed).not.toContain(s);
    expect((await post(b, legacyId, push('oLegacy', 'legacy row, sealed'))).status).toBe(200);
    expect((await post(b, channelId, push('oSealed', 'under k2'))).status).toBe(200);

    // k1 retired: everything still reads
    const c = await start(K2, 'k2');
    expect((await post(c, legacyId, push('oLegacy', 'k1 retired'))).status).toBe(200);
    expect((await post(c, channelId, push('oSealed', 'k1 retired too'))).status).toBe(200);
    await until(async () => (await textsOf(c, legacyId)).includes('k1 retired'));
    expect(await textsOf(c, legacyId)).toEqual(expect.arrayContaining(['legacy row, plaintext', 'legacy row, sealed', 'k1 retired']));

    // a replica missing the key refuses the webhook with 503 (the platform retries) and says why, without values
    const d = await start(K1, 'k1');
    expect((await post(d, channelId, push('oSealed', 'no key'))).status).toBe(503);
    const health = (await gqlOk(d.url, CHANNELS, {}, admin)).channels.find((x: { id: string }) => x.id === channelId).health;
    expect(health.status).toBe('DISABLED');
    expect(health.lastError).toMatch(/sealed with key k2, which is not configured/);
    expect(await stored(channelId)).toMatch(/"\$enc":"k2:/); // and its sweep left the row alone
  });
});
