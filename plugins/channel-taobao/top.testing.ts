/**
 * A fake TOP gateway for tests: a real local HTTP server (`POST /router/rest`, form-encoded like TOP SDKs send)
 * that checks every request's signature and timestamp, and plays TMC: published messages wait in a group's queue,
 * `taobao.tmc.messages.consume` hands out up to `quantity` of them (then hides them for `redeliverAfterMs`),
 * `taobao.tmc.messages.confirm` removes them for good, and a message not confirmed in time is handed out again.
 * Answers in TOP's JSON format (ids beyond 2^53 as bare numbers, `error_response` on errors).
 */
import { startFakeServer, type FakeServer, type RecordedRequest } from '../sdk/testing/index.js';
import { parseTopTime, topSign, type TopSignMethod } from './top.sign.js';

export interface FakeTmcMessage {
  /** A 64-bit id, as a string (sent as a bare JSON number). */
  id: string;
  topic: string;
  /** The message body; serialised as TOP does, a JSON string (`tid` may be given as a bare number with `rawContent`). */
  content?: Record<string, unknown>;
  /** Exact text of `content` (wins over `content`). */
  rawContent?: string;
  pubTime?: string;
  userId?: number;
  userNick?: string;
  group?: string;
}

export interface FakeTop {
  url: string;
  server: FakeServer;
  publish(...messages: FakeTmcMessage[]): void;
  /** Ids confirmed, in order (a second confirm of an id is recorded too). */
  confirmed: string[];
  /** Ids handed out by consume, in order (a redelivery appears again). */
  delivered: string[];
  /** Consume calls seen, and the most that were in progress at once. */
  consumes: number;
  maxConcurrentConsumes: number;
  /** Requests refused for a bad signature or timestamp. */
  refused: RecordedRequest[];
  /** The next `n` calls of `method` answer this error_response (or HTTP status). */
  failNext(method: string, reply: { error_response?: Record<string, unknown>; status?: number; body?: string }, n?: number): void;
  /** Changes how long a handed-out message stays hidden (0: every consume hands it out again until confirmed). */
  setRedeliverAfter(ms: number): void;
  /** Changes the consume delay. */
  setConsumeDelay(ms: number): void;
  /** Messages still waiting or handed out but not confirmed. */
  pending(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeTop(o: {
  appKey: string;
  appSecret: string;
  /** Hidden after delivery for this long, then handed out again if not confirmed (TMC redelivers). Default 1 s. */
  redeliverAfterMs?: number;
  /** Consume answers after this delay (overlap detection). */
  consumeDelayMs?: number;
  /** The gateway's clock for the ±10 min timestamp check (default Date.now). */
  now?: () => number;
  /** Awaited before a confirm is accepted (a test checks what the caller had stored by then). */
  onConfirm?: (ids: string[]) => Promise<void> | void;
  /** Other TOP methods (e.g. taobao.trade.fullinfo.get). */
  methods?: Record<string, (form: Record<string, string>) => unknown>;
}): Promise<FakeTop> {
  const now = o.now ?? Date.now;
  type Entry = { m: FakeTmcMessage; hiddenUntil: number };
  let queue: Entry[] = [];
  const failures = new Map<string, Array<{ error_response?: Record<string, unknown>; status?: number; body?: string }>>();
  let inFlight = 0;
  let consumeDelayMs = o.consumeDelayMs ?? 0;
  let redeliverAfterMs = o.redeliverAfterMs ?? 1000;
  const state: Pick<FakeTop, 'confirmed' | 'delivered' | 'consumes' | 'maxConcurrentConsumes' | 'refused'> = { confirmed: [], delivered: [], consumes: 0, maxConcurrentConsumes: 0, refused: [] };

  const json = (v: unknown) => JSON.stringify(v).replace(/"__int__(\d+)"/g, '$1');
  const wire = (m: FakeTmcMessage) => ({
    user_id: m.userId ?? 2200000000001, user_nick: m.userNick ?? 'shop', content: m.rawContent ?? JSON.stringify(m.content ?? {}),
    id: `__int__${m.id}`, pub_time: m.pubTime ?? '2024-05-01 09:59:58', pub_app_key: o.appKey, topic: m.topic,
  });
  const error = (code: number, msg: string, sub_code?: string) => ({ json: { error_response: { code, msg, ...(sub_code ? { sub_code, sub_msg: msg } : {}), request_id: 'fake' } } });

  const server = await startFakeServer({
    'POST /router/rest': async (req) => {
      const form = req.form ?? {};
      const method = form.method ?? '';
      const { sign, ...rest } = form;
      if (form.app_key !== o.appKey) { state.refused.push(req); return error(29, 'Invalid app Key'); }
      if (!sign || sign !== topSign(rest, o.appSecret, (form.sign_method ?? 'md5') as TopSignMethod)) { state.refused.push(req); return error(25, 'Invalid signature'); }
      const ts = parseTopTime(form.timestamp);
      if (!ts || Math.abs(ts.getTime() - now()) > 10 * 60_000) { state.refused.push(req); return error(31, 'Invalid timestamp'); }
      const fail = failures.get(method)?.shift();
      if (fail) return fail.status ? { status: fail.status, body: fail.body ?? 'bad gateway' } : fail.body !== undefined ? { body: fail.body } : { json: { error_response: fail.error_response } };
      const group = form.group_name ?? 'default';
      if (method === 'taobao.tmc.messages.consume') {
        state.consumes++;
        inFlight++;
        state.maxConcurrentConsumes = Math.max(state.maxConcurrentConsumes, inFlight);
        try {
          const quantity = Number(form.quantity ?? 100);
          if (!(quantity >= 10 && quantity <= 200)) return error(41, 'Invalid arguments:quantity', 'isv.invalid-parameter');
          const t = now();
          const batch = queue.filter((e) => (e.m.group ?? 'default') === group && e.hiddenUntil <= t).slice(0, quantity);
          for (const e of batch) { e.hiddenUntil = t + redeliverAfterMs; state.delivered.push(e.m.id); }
          const body = batch.length
            ? { tmc_messages_consume_response: { messages: { tmc_message: batch.map((e) => wire(e.m)) }, request_id: `req-${state.consumes}` } }
            : { tmc_messages_consume_response: { request_id: `req-${state.consumes}` } };
          // the batch is taken when the call arrives; the answer comes after the delay (a slow gateway)
          if (consumeDelayMs) await new Promise((r) => setTimeout(r, consumeDelayMs));
          return { body: json(body), headers: { 'content-type': 'application/json;charset=UTF-8' } };
        } finally {
          inFlight--;
        }
      }
      if (method === 'taobao.tmc.messages.confirm') {
        const ids = String(form.s_message_ids ?? '').split(',').filter(Boolean);
        if (!ids.length || ids.length > 200 || ids.some((x) => !/^\d+$/.test(x))) return error(41, 'Invalid arguments:s_message_ids', 'isv.invalid-parameter');
        await o.onConfirm?.(ids);
        state.confirmed.push(...ids);
        queue = queue.filter((e) => !ids.includes(e.m.id));
        return { json: { tmc_messages_confirm_response: { is_success: true, request_id: 'fake' } } };
      }
      const other = o.methods?.[method];
      if (other) return { json: other(form) };
      return error(22, 'Invalid method');
    },
  });

  return {
    url: server.url,
    server,
    publish: (...ms) => { for (const m of ms) queue.push({ m, hiddenUntil: 0 }); },
    get confirmed() { return state.confirmed; },
    get delivered() { return state.delivered; },
    get consumes() { return state.consumes; },
    get maxConcurrentConsumes() { return state.maxConcurrentConsumes; },
    get refused() { return state.refused; },
    failNext(method, reply, n = 1) { const l = failures.get(method) ?? []; for (let i = 0; i < n; i++) l.push(reply); failures.set(method, l); },
    setConsumeDelay: (ms) => { consumeDelayMs = ms; },
    setRedeliverAfter: (ms) => { redeliverAfterMs = ms; },
    pending: () => queue.map((e) => e.m.id),
    reset() {
      queue = []; failures.clear(); state.confirmed.length = 0; state.delivered.length = 0; state.refused.length = 0;
      state.consumes = 0; state.maxConcurrentConsumes = 0; server.requests.length = 0;
    },
    close: () => server.close(),
  };
}
