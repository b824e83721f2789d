import { randomBytes } from 'node:crypto';
import type { InboundRequest, PullResult } from '../channel.js';
import { secretValues } from '../config.js';
import { isChannelError, type ChannelErrorCode } from '../errors.js';
import type { PluginDefinition } from '../index.js';
import { CHANNEL_TYPE, PLUGIN_ID, SDK_API_VERSION, parseSemver } from '../manifest.js';
import { inboundEventSchema, type InboundEvent, type OutboundMessage, type SendResult } from '../messages.js';
import { PluginCrashError } from '../../host/errors.js';
import type { BoundChannel } from '../../host/plugin-host.js';
import { closedUrl, startFakeServer, type FakeRoutes, type FakeServer, type RecordedRequest } from './fake-server.js';
import { createTestHost, type TestHost } from './harness.js';

export interface InboundFixture {
  name: string;
  /** A request as the platform sends it (signed). */
  request: () => InboundRequest;
  /** How many events it yields, or assertions on them. */
  events: number | ((events: InboundEvent[]) => void);
  /** The immediate answer the platform expects. */
  response?: { status?: number; body?: string | RegExp };
}

export interface OutboundFailure {
  name: string;
  /** Fake platform routes for this case (merged over `outbound.routes`). */
  routes: FakeRoutes;
  code: ChannelErrorCode;
  retryable?: boolean;
}

export interface ChannelConformanceFixtures {
  plugin: PluginDefinition;
  /** The plugin's config; receives the fake platform's URL (set your `apiBaseUrl` to it). */
  pluginConfig?: (fakeBaseUrl: string) => unknown;
  channelType: string;
  /** A valid channel config, as an admin pastes it (a function receives the fake platform's URL, for callback URLs). */
  channelConfig: unknown | ((fakeBaseUrl: string) => unknown);
  /** The fake clock's start (ms); pick it near your fixtures' timestamps. */
  now?: number;
  /** Signs `body` the way the platform would, so malformed bodies reach parse (not just verify). */
  signedRequest(body: string | Buffer): InboundRequest;
  inbound: InboundFixture[];
  /** Requests verify/parse must refuse (bad signature, stale timestamp...) and the code expected (default AUTH). */
  rejected: Array<{ name: string; request: () => InboundRequest; code?: ChannelErrorCode }>;
  /** The signature covers the body: tampering with the first inbound fixture's body must be refused. */
  bodyIsSigned: boolean;
  outbound?: {
    /** The fake platform speaking the documented format. */
    routes: FakeRoutes;
    message: OutboundMessage;
    /** An inbound request that opens the reply window before sending (accepted and received first). */
    openWith?: () => InboundRequest;
    check?: (result: SendResult, requests: RecordedRequest[]) => void;
    failures: OutboundFailure[];
  };
  /** SDK 1.1: required when the adapter pulls (`capabilities.pull`). */
  pull?: PullFixtures;
}

/** How a pull channel is exercised against the fake platform. */
export interface PullFixtures {
  /** A channel config that turns pulling on (a function receives the fake platform's URL). Default: `channelConfig`. */
  channelConfig?: unknown | ((fakeBaseUrl: string) => unknown);
  /** The fake platform serving one batch (the documented format) and accepting the acknowledgement. */
  routes: FakeRoutes;
  /** How many items the batch has, or assertions on the result. */
  items: number | ((result: PullResult) => void);
  /** Checks the acknowledgement reached the platform (e.g. the ids it confirmed). */
  checkAck?: (requests: RecordedRequest[]) => void;
  /** Platform failures (merged over `routes`) and the code each must surface as. */
  failures: OutboundFailure[];
}

const MALFORMED: Array<[string, string | Buffer]> = [
  ['an empty body', ''],
  ['whitespace', '  \n'],
  ['JSON null', 'null'],
  ['a JSON array', '[]'],
  ['an empty JSON object', '{}'],
  ['truncated JSON', '{"event":"im_receive_msg","content":{'],
  ['a JSON string', '"hello"'],
  ['a JSON number', '12345678901234567890'],
  ['wrongly typed JSON fields', '{"type":1,"event":{},"content":[],"messages":7,"frames":"x","id":{},"MsgType":[]}'],
  ['an empty XML document', '<xml></xml>'],
  ['broken XML', '<xml><MsgType><![CDATA[text]]></MsgType><Content>'],
  ['XML with a DOCTYPE', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'],
  ['random bytes', randomBytes(64)],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xfd, 0x7b, 0x22])],
];

/**
 * The conformance suite every channel plugin runs (built-ins and partners'). It registers jest
 * describe/it blocks: call it at the top level of a `*.spec.ts` file.
 */
export function runChannelConformance(f: ChannelConformanceFixtures): void {
  describe(`channel conformance: ${f.channelType}`, () => {
    let fake: FakeServer;
    let t: TestHost;
    let bound: BoundChannel;
    let channelConfig: unknown;
    const configFor = (url: string) => (typeof f.channelConfig === 'function' ? (f.channelConfig as (u: string) => unknown)(url) : f.channelConfig);

    beforeAll(async () => {
      fake = await startFakeServer(f.outbound?.routes ?? {});
      t = createTestHost(f.plugin, { config: f.pluginConfig?.(fake.url), now: f.now });
      await t.host.start();
      channelConfig = configFor(fake.url);
      bound = t.bind(channelConfig, { type: f.channelType });
    });
    afterAll(async () => {
      await t?.host.stop();
      await fake?.close();
    });

    it('has a valid manifest for this SDK and loads through the host loader', () => {
      const m = f.plugin.manifest;
      expect(m.id).toMatch(PLUGIN_ID);
      expect(m.kind).toBe('channel');
      expect(parseSemver(m.version)).not.toBeNull();
      expect(parseSemver(m.apiVersion)?.major).toBe(parseSemver(SDK_API_VERSION)!.major);
      expect(t.host.channelTypes()).toContain(f.channelType);
      expect(f.channelType).toMatch(CHANNEL_TYPE);
      expect(t.host.plugins()[0].health.status).toBe('UP');
    });

    it('validates channel configs and redacts every secret', () => {
      expect(() => t.host.validateChannelConfig(f.channelType, channelConfig)).not.toThrow();
      const adapter = t.host.adapter(f.channelType);
      const secrets = secretValues(adapter.configSchema, channelConfig);
      const redacted = JSON.stringify(t.host.redactChannelConfig(f.channelType, channelConfig));
      for (const s of secrets) expect(redacted).not.toContain(s);
      // a config with every field of the wrong type is refused with issues that do not echo the values
      const keys = Object.keys(channelConfig as object);
      const wrong = keys.length ? Object.fromEntries(keys.map((k) => [k, { bogus: 'v4lue-never-echoed' }])) : 'v4lue-never-echoed';
      let err: unknown;
      try { t.host.validateChannelConfig(f.channelType, wrong); } catch (e) { err = e; }
      expect(err).toBeDefined();
      expect(String((err as Error).message)).not.toContain('v4lue-never-echoed');
    });

    it('declares consistent capabilities', () => {
      const c = bound.capabilities;
      // SDK 1.1: capabilities.pull and the pull method come together
      expect(c.pull === true).toBe(typeof t.host.adapter(f.channelType).pull === 'function');
      expect(c.inbound || c.outbound).toBe(true);
      expect(c.maxTextLength).toBeGreaterThan(0);
      if (c.outbound) expect(c.outboundKinds.length).toBeGreaterThan(0);
      if (c.sendWindow) expect(c.sendWindow.maxMessages).toBeGreaterThan(0);
      expect(c.ackDeadlineMs).toBeGreaterThan(0);
    });

    for (const fx of f.inbound) {
      it(`accepts ${fx.name}: events in the unified model, a pure parse and the expected answer`, () => {
        const req = fx.request();
        const bodyBefore = Buffer.from(req.rawBody);
        const { events, response } = bound.accept(req);
        if (typeof fx.events === 'number') expect(events).toHaveLength(fx.events);
        else fx.events(events);
        for (const ev of events) {
          expect(inboundEventSchema.safeParse(ev).success).toBe(true);
          expect(ev.channelType).toBe(f.channelType);
          expect(ev.sender.channelType).toBe(f.channelType);
        }
        // pure: the same request yields the same events (so redeliveries carry the same dedupe keys)
        expect(bound.parse(req)).toEqual(events);
        expect(req.rawBody.equals(bodyBefore)).toBe(true);
        expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(events.length);
        expect(response.status).toBe(fx.response?.status ?? 200);
        if (fx.response?.body instanceof RegExp) expect(response.body).toMatch(fx.response.body);
        else if (fx.response?.body !== undefined) expect(response.body).toBe(fx.response.body);
      });
    }

    for (const r of f.rejected) {
      it(`refuses ${r.name} with ${r.code ?? 'AUTH'}`, () => {
        let err: unknown;
        try { bound.accept(r.request()); } catch (e) { err = e; }
        expect(isChannelError(err)).toBe(true);
        expect((err as { code: string }).code).toBe(r.code ?? 'AUTH');
      });
    }

    if (f.bodyIsSigned && f.inbound.length) {
      it('refuses a body changed after signing', () => {
        const req = f.inbound.find((x) => x.request().method === 'POST')?.request() ?? f.inbound[0].request();
        const body = Buffer.from(req.rawBody);
        body[Math.floor(body.length / 2)] ^= 0x01;
        let err: unknown;
        try { bound.accept({ ...req, rawBody: body }); } catch (e) { err = e; }
        expect(isChannelError(err)).toBe(true);
        expect(['AUTH', 'BAD_REQUEST']).toContain((err as { code: string }).code);
      });
    }

    it('answers malformed bodies with typed errors, never a crash', () => {
      for (const [name, body] of MALFORMED) {
        let err: unknown;
        try {
          const { events } = bound.accept(f.signedRequest(body));
          for (const ev of events) expect(inboundEventSchema.safeParse(ev).success).toBe(true);
        } catch (e) { err = e; }
        if (err !== undefined && !isChannelError(err)) throw new Error(`${name}: expected a ChannelError, got ${err instanceof PluginCrashError ? err.message : String(err)}`);
      }
      expect(bound.health().status).toBe('UP');
    });

    if (f.outbound) {
      const o = f.outbound;
      describe('outbound', () => {
        beforeEach(() => fake.reset(o.routes));

        const open = async () => {
          if (!o.openWith) return;
          const { events } = bound.accept(o.openWith());
          await bound.receive(events);
        };

        it('sends a message through the fake platform', async () => {
          await open();
          const result = await bound.send(o.message);
          expect(['sent', 'delivered', 'queued']).toContain(result.status);
          expect(result.externalMessageId).toEqual(expect.any(String));
          o.check?.(result, fake.requests);
        });

        for (const failure of o.failures) {
          it(`maps ${failure.name} to ${failure.code}`, async () => {
            await open();
            fake.route(failure.routes);
            let err: unknown;
            try { await bound.send(o.message); } catch (e) { err = e; }
            expect(isChannelError(err)).toBe(true);
            expect((err as { code: string }).code).toBe(failure.code);
            if (failure.retryable !== undefined) expect((err as { retryable: boolean }).retryable).toBe(failure.retryable);
          });
        }

        it('refuses content kinds it cannot send and overlong text', async () => {
          const kinds = ['text', 'image', 'voice', 'video', 'file', 'location', 'link', 'card', 'event', 'order'] as const;
          const unsupported = kinds.find((k) => !bound.capabilities.outboundKinds.includes(k));
          if (unsupported) await expect(bound.send({ ...o.message, content: { kind: unsupported } as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
          await expect(bound.send({ ...o.message, content: { kind: 'text', text: 'x'.repeat(bound.capabilities.maxTextLength + 1) } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
        });

        it('reports an unreachable platform as UNAVAILABLE (retryable)', async () => {
          await open();
          // same store, clock and channel id as the working host (tokens and reply windows carry over); dead platform
          const closed = await closedUrl();
          const down = createTestHost(f.plugin, { config: f.pluginConfig?.(closed), kv: t.kv, clock: t.clock });
          const ch = down.bind(configFor(closed), { type: f.channelType, id: bound.id });
          let err: unknown;
          try { await ch.send(o.message); } catch (e) { err = e; }
          // channels that deliver through the host's live connections queue instead of failing
          if (err === undefined) return;
          expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
          expect(ch.health().status).toBe('DEGRADED');
        });
      });
    } else {
      it('refuses to send when it has no outbound capability', async () => {
        expect(bound.capabilities.outbound).toBe(false);
        await expect(bound.send({ id: 'm1', recipient: { channelType: f.channelType, externalId: 'x' }, content: { kind: 'text', text: 'hi' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      });
    }

    describe('pull (SDK 1.1)', () => {
      const p = f.pull;
      let ch: BoundChannel;
      beforeAll(() => {
        if (!p) return;
        const cfg = p.channelConfig === undefined ? configFor(fake.url) : typeof p.channelConfig === 'function' ? (p.channelConfig as (u: string) => unknown)(fake.url) : p.channelConfig;
        ch = t.bind(cfg, { type: f.channelType });
      });
      beforeEach(() => { if (p) fake.reset({ ...(f.outbound?.routes ?? {}), ...p.routes }); });

      it('has pull fixtures when the channel pulls, and pulls only when its config says so', () => {
        if (!bound.capabilities.pull) { expect(bound.pulls).toBe(false); return; }
        expect(p).toBeDefined();
        expect(ch.pulls).toBe(true);
      });

      if (!p) return;

      it('pulls a batch in the unified model; the same batch pulled again has the same dedupe keys; ack reaches the platform', async () => {
        const r = await ch.pull();
        if (typeof p.items === 'number') expect(r.items).toHaveLength(p.items);
        else p.items(r);
        const keys = r.items.flatMap((i) => i.events.map((e) => e.dedupeKey));
        expect(new Set(keys).size).toBe(keys.length);
        for (const item of r.items) {
          expect(typeof item.raw === 'string' || Buffer.isBuffer(item.raw)).toBe(true);
          if (item.error !== undefined) expect(isChannelError(item.error)).toBe(true);
          for (const ev of item.events) {
            expect(inboundEventSchema.safeParse(ev).success).toBe(true);
            expect(ev.channelType).toBe(f.channelType);
          }
        }
        const again = await ch.pull();
        expect(again.items.flatMap((i) => i.events.map((e) => e.dedupeKey))).toEqual(keys);
        const before = fake.requests.length;
        await r.ack();
        expect(fake.requests.length).toBeGreaterThan(before);
        p.checkAck?.(fake.requests.slice(before));
        expect(ch.health().status).toBe('UP');
      });

      for (const failure of p.failures) {
        it(`maps a pull failure, ${failure.name}, to ${failure.code} and shows it in the channel's health`, async () => {
          fake.route(failure.routes);
          let err: unknown;
          try { await ch.pull(); } catch (e) { err = e; }
          expect(isChannelError(err)).toBe(true);
          expect((err as { code: string }).code).toBe(failure.code);
          if (failure.retryable !== undefined) expect((err as { retryable: boolean }).retryable).toBe(failure.retryable);
          expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: expect.stringContaining(failure.code) });
          fake.reset({ ...(f.outbound?.routes ?? {}), ...p.routes });
          await ch.pull();
          expect(ch.health().status).toBe('UP');
        });
      }

      it('reports an unreachable platform as UNAVAILABLE (retryable) when pulling', async () => {
        const closed = await closedUrl();
        const down = createTestHost(f.plugin, { config: f.pluginConfig?.(closed), kv: t.kv, clock: t.clock });
        const cfg = p.channelConfig === undefined ? configFor(closed) : typeof p.channelConfig === 'function' ? (p.channelConfig as (u: string) => unknown)(closed) : p.channelConfig;
        const dead = down.bind(cfg, { type: f.channelType });
        await expect(dead.pull()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
        expect(dead.health().status).toBe('DEGRADED');
      });
    });

    it('never writes a secret to the logs', () => {
      const adapter = t.host.adapter(f.channelType);
      const secrets = [...secretValues(adapter.configSchema, channelConfig), ...secretValues(f.plugin.configSchema, f.pluginConfig?.(fake.url) ?? {})];
      const text = JSON.stringify(t.logs.lines);
      for (const s of secrets) expect(text).not.toContain(s);
    });
  });
}
