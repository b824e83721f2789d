import { createConnection, type Connection } from 'mysql2/promise';
import { wechatPush, wechatXml } from '../../plugins/wechat-common/wechat.testing.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { newTenant, TEST_MYSQL_URL, tokenFor } from '../helpers/env.js';
import { eventually } from '../helpers/processes.js';
import { startSubgraphs, type Started } from '../helpers/topology.js';

/**
 * "Nothing accepted is ever dropped, also across a crash between acknowledging and processing", with a real
 * crash: the conversations process is killed (SIGKILL: no shutdown hook runs) right after its last
 * acknowledgement, while most of what it acknowledged is still unprocessed; a new process on the same database
 * finds it all and makes every message exactly once.
 */

const DB = 'huiliu_e2e_crash';
const OA = { appId: 'wx5823bf96d3bd56c7', appSecret: 'e2e-app-secret-0123456789abcdef', token: 'E2eT0ken', encodingAESKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', mode: 'safe' };
const MESSAGES = 300;
/** The replica's hold on the rows it stored (payload.claims LOCK_MS) runs out before another process takes them. */
const RECOVERY_MS = 120_000;

describe('a crash between acknowledging and processing (real processes, SIGKILL)', () => {
  const procs: Started[] = [];
  let sql: Connection;
  const tenant = newTenant('crash');

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.proc.stop()));
    await sql?.end();
  });

  test('every acknowledged message is made exactly once by the next process', async () => {
    const customers = (await startSubgraphs([{ name: 'customers' }], DB)).customers;
    procs.push(customers);
    const env = { CUSTOMERS_URL: customers.url, CHANNEL_SECRET_KEYS: `e1:${Buffer.from('huiliu-e2e-channel-secret-key-32').toString('base64')}`, INGEST_SWEEP_MS: '200' };
    // One payload at a time: processing stays far behind the acknowledgements, so the kill finds a backlog.
    const first = (await startSubgraphs([{ name: 'conversations', label: 'conversations-1', env: { INGEST_CONCURRENCY: '1' } }], DB, env))['conversations-1'];
    procs.push(first);
    const admin = await tokenFor(tenant, ['admin']);
    const channelId = (await gqlOk(first.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'wechat-oa', name: 'OA', config: OA } }, admin)).createChannel.channel.id;

    const ts = Math.floor(Date.now() / 1000);
    const pushes = Array.from({ length: MESSAGES }, (_, i) => wechatPush({
      token: OA.token, appId: OA.appId, encodingAESKey: OA.encodingAESKey, mode: 'safe', timestamp: String(ts), nonce: String(1000 + i),
      body: wechatXml({ ToUserName: 'gh_e2e', FromUserName: `oCrash${i % 60}`, CreateTime: ts, MsgType: 'text', Content: `crash message ${i}`, MsgId: String(7_000_000_000_000_000_000n + BigInt(i)) }),
    }));
    const post = (base: string, r: (typeof pushes)[number]) => fetch(`${base}/webhooks/${channelId}?${new URLSearchParams(r.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: new Uint8Array(r.rawBody) });
    const base1 = first.url.replace(/\/graphql$/, '');
    const statuses: number[] = [];
    for (let i = 0; i < MESSAGES; i += 20) statuses.push(...(await Promise.all(pushes.slice(i, i + 20).map(async (r) => (await post(base1, r)).status))));
    expect(statuses).toEqual(Array(MESSAGES).fill(200));
    await first.proc.stop('SIGKILL');

    sql = await createConnection(`${TEST_MYSQL_URL}/${DB}`);
    const countBy = async () => Object.fromEntries(((await sql.query('SELECT status, COUNT(*) AS n FROM inbound_payloads WHERE tenant_id = ? GROUP BY status', [tenant]))[0] as Array<{ status: string; n: number }>).map((r) => [r.status, Number(r.n)]));
    const atKill = await countBy();
    expect(Object.values(atKill).reduce((a, b) => a + b, 0)).toBe(MESSAGES); // every acknowledgement was stored
    expect(MESSAGES - (atKill.PROCESSED ?? 0)).toBeGreaterThan(0); // and some were not processed yet: the crash's case

    const second = (await startSubgraphs([{ name: 'conversations', label: 'conversations-2' }], DB, env))['conversations-2'];
    procs.push(second);
    // A platform redelivers some of what it saw acknowledged (WeChat retries): still once each.
    const base2 = second.url.replace(/\/graphql$/, '');
    expect((await Promise.all(pushes.slice(0, 10).map(async (r) => (await post(base2, r)).status)))).toEqual(Array(10).fill(200));

    await eventually(async () => ((await countBy()).PROCESSED === MESSAGES ? true : undefined), RECOVERY_MS, 1000);
    const [[row]] = (await sql.query('SELECT COUNT(*) AS n, COUNT(DISTINCT text) AS texts FROM messages WHERE tenant_id = ?', [tenant])) as unknown as [Array<{ n: number; texts: number }>];
    expect({ n: Number(row.n), texts: Number(row.texts) }).toEqual({ n: MESSAGES, texts: MESSAGES });
  }, RECOVERY_MS + 60_000);
});
