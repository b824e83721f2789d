import { DomainError } from '../../_shared/errors.js';
import { channelClassOf, DEFAULT_RULES, formatPath, parseRules, referencedIds } from './routing.rules.js';

const g1 = '11111111-1111-4111-8111-111111111111';
const g2 = '22222222-2222-4222-8222-222222222222';

function fieldOf(raw: unknown): { field?: string; message: string; code: string } {
  try {
    parseRules(raw);
  } catch (e) {
    if (e instanceof DomainError) return { field: e.field, message: e.message, code: e.code };
    throw e;
  }
  throw new Error('expected invalid rules');
}

describe('routing rules (zod)', () => {
  it('fills every default into an empty document', () => {
    expect(DEFAULT_RULES).toMatchObject({
      defaultGroupId: null, l1: [], l2: [], offers: { mode: 'offer', timeoutSeconds: 30, noReplyMinutes: 10 }, presence: { graceSeconds: 60 },
      balancing: { adaptivity: 0.5, channels: {} }, queueMessages: { enabled: false, template: '您前面还有 {ahead} 位，请稍候' },
      bot: { channelTypes: [], escalation: { minConfidence: 0.5, vipLevels: ['VIP', 'SVIP'] } },
    });
    expect(DEFAULT_RULES.bot.escalation.humanKeywords).toContain('转人工');
  });

  it('names the offending path as BAD_USER_INPUT', () => {
    expect(fieldOf({ l1: [{ id: 'a', groupId: g1 }, { id: 'b', groupId: 'x' }] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.l1[1].groupId' });
    expect(fieldOf({ l1: [{ id: 'a', groupId: g1, colour: 'red' }] }).field).toBe('rules.l1[0].colour');
    expect(fieldOf({ l2: [{ id: 'v', when: { vipLevels: ['VIP'] } }] }).field).toBe('rules.l2[0]'); // does nothing
    expect(fieldOf({ l2: [{ id: 'v', when: {}, preferLastAgent: true }] }).field).toBe('rules.l2[0].preferLastAgent');
    expect(fieldOf({ l1: [{ id: 'a', groupId: g1 }, { id: 'a', groupId: g2 }] }).field).toBe('rules.l1[1].id');
    expect(fieldOf({ groups: { [g1]: { overflow: { afterSeconds: 60, toGroupId: g1 } } } }).field).toBe(`rules.groups.${g1}.overflow.toGroupId`);
    expect(fieldOf({ groups: { [g1]: { businessHours: { timezone: 'Mars/Olympus', weekly: [{ days: [1], open: '09:00', close: '18:00' }], closedMessage: 'x' } } } }).field).toBe(`rules.groups.${g1}.businessHours.timezone`);
    expect(fieldOf({ groups: { [g1]: { businessHours: { timezone: 'Asia/Shanghai', weekly: [{ days: [1], open: '18:00', close: '09:00' }], closedMessage: 'x' } } } }).field).toBe(`rules.groups.${g1}.businessHours.weekly[0].close`);
    expect(fieldOf({ balancing: { channels: { taobao: { target: 0.9, max: 0.5 } } } }).field).toBe('rules.balancing.channels.taobao');
    expect(fieldOf({ channelClasses: { 'WeChat OA': 'chat' } }).field).toBe('rules.channelClasses.WeChat OA');
    expect(fieldOf({ queueMessages: { template: '请稍候' } }).field).toBe('rules.queueMessages.template');
    expect(fieldOf({ offers: { mode: 'robin' } }).message).toContain('offers.mode');
    expect(fieldOf([1, 2]).field).toBe('rules');
  });

  it('lists the group and agent ids it refers to, with their paths', () => {
    const r = parseRules({ defaultGroupId: g1, l2: [{ id: 'v', when: { vipLevels: ['VIP'] }, groupId: g2, preferredAgentIds: [g1] }], groups: { [g2]: { overflow: { afterSeconds: 5, toGroupId: g1 } } } });
    expect(referencedIds(r)).toEqual({
      groups: [['defaultGroupId', g1], ['l2[0].groupId', g2], [`groups.${g2}`, g2], [`groups.${g2}.overflow.toGroupId`, g1]],
      agents: [['l2[0].preferredAgentIds[0]', g1]],
    });
  });

  it('knows channel classes: phone is a call unless configured', () => {
    expect(channelClassOf(DEFAULT_RULES, 'phone')).toBe('call');
    expect(channelClassOf(DEFAULT_RULES, 'wechat-oa')).toBe('chat');
    expect(channelClassOf(parseRules({ channelClasses: { 'video-call': 'call' } }), 'video-call')).toBe('call');
    expect(formatPath(['l1', 2, 'groupId'])).toBe('l1[2].groupId');
  });
});
