import { DEMO_AGENTS, DEMO_CONVERSATIONS, DEMO_GROUPS, DEMO_TENANT } from '../_shared/demo-data.js';
import { stableId } from '../_shared/ids.js';
import { AgentStatus } from './agent/agent.entity.js';
import type { ConversationsServices } from './conversations.services.js';
import { MessageSenderType } from './message/message.entity.js';

const T = DEMO_TENANT.id;
const AGENT_STATUSES = [AgentStatus.ONLINE, AgentStatus.ONLINE, AgentStatus.BUSY, AgentStatus.AWAY, AgentStatus.OFFLINE];

const CHANNELS = [
  { type: 'app', name: '稻花香 App' },
  { type: 'taobao', name: '稻花香天猫旗舰店' },
  { type: 'wechat-mini', name: '稻花香商城小程序' },
  { type: 'wechat-oa', name: '稻花香米业服务号' },
].map((c) => ({ ...c, id: stableId(`demo:channel:${c.type}`) }));

/** Per demo conversation: its skill group and the exchange after the customer's opening message (C customer, A agent). */
const SCRIPTS: Record<string, { groupKey: string; opening: string; lines: Array<['C' | 'A', string]> }> = {
  v1: {
    groupKey: 'logistics',
    opening: '你好，我昨天买的五常大米什么时候发货？',
    lines: [['A', '您好陈女士，您的订单已经打包好了，今天下午顺丰发出。'], ['C', '好的，大概几天能到上海？'], ['A', '一般 1-2 天送达，发货后会短信通知您单号。']],
  },
  v2: {
    groupKey: 'logistics',
    opening: '订单 3862410087654321 的物流三天没有更新了，麻烦查一下。',
    lines: [['C', '在吗？']],
  },
  v3: {
    groupKey: 'aftersales',
    opening: '刚拆开的大米里有小虫子，怎么处理？',
    lines: [['A', '非常抱歉给您带来不好的体验！麻烦拍一张米袋和虫子的照片发给我们。'], ['C', '照片已经发了。'], ['A', '已为您登记退换，新米明天发出，旧米不用寄回。'], ['C', '好的，谢谢！']],
  },
};

/** Idempotent: whatever already exists (by stable id) is left alone. */
export async function seedConversationsDemo(s: ConversationsServices): Promise<void> {
  const channels = new Set((await s.channels.byIds(T, CHANNELS.map((c) => c.id))).map((c) => c.id));
  for (const c of CHANNELS) if (!channels.has(c.id)) await s.channels.create(T, c);

  const groups = new Set((await s.agents.groupsByIds(T, DEMO_GROUPS.map((g) => g.id))).map((g) => g.id));
  for (const g of DEMO_GROUPS) if (!groups.has(g.id)) await s.agents.createGroup(T, g);
  const groupId = (key: string) => DEMO_GROUPS.find((g) => g.key === key)!.id;

  const agents = new Set((await s.agents.byIds(T, DEMO_AGENTS.map((a) => a.id))).map((a) => a.id));
  for (const [i, a] of DEMO_AGENTS.entries()) {
    if (agents.has(a.id)) continue;
    await s.agents.create(T, { id: a.id, name: a.name, email: a.email, status: AGENT_STATUSES[i % AGENT_STATUSES.length], maxChats: a.role === 'supervisor' ? 3 : 5, groupIds: [groupId(a.groupKey)] });
  }

  const conversations = new Set((await s.conversations.byIds(T, DEMO_CONVERSATIONS.map((v) => v.id))).map((v) => v.id));
  for (const [n, v] of DEMO_CONVERSATIONS.entries()) {
    if (conversations.has(v.id)) continue;
    const script = SCRIPTS[v.key];
    const start = Date.now() - (DEMO_CONVERSATIONS.length - n) * 3600_000;
    const channel = CHANNELS.find((c) => c.type === v.channelType);
    await s.conversations.open(T, {
      id: v.id, customerId: v.customerId, channelType: v.channelType, channelId: channel?.id ?? null, groupId: groupId(script.groupKey),
      subject: v.subject, text: script.opening, messageId: stableId(`demo:message:${v.key}:0`), at: new Date(start),
    });
    const agent = v.agentIndex === null ? undefined : DEMO_AGENTS[v.agentIndex];
    if (agent) await s.conversations.assign(T, v.id, agent.id);
    for (const [i, [who, text]] of script.lines.entries()) {
      const at = new Date(start + (i + 1) * 90_000);
      const id = stableId(`demo:message:${v.key}:${i + 1}`);
      if (who === 'A' && agent) await s.conversations.addMessage(T, v.id, { id, senderType: MessageSenderType.AGENT, senderId: agent.id, text, at });
      else await s.conversations.addMessage(T, v.id, { id, senderType: MessageSenderType.CUSTOMER, text, at });
    }
    if (v.status === 'RESOLVED') await s.conversations.resolve(T, v.id);
  }
}
