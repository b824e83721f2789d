import { stableId } from './ids.js';

/**
 * The seeded demo tenant: a national rice brand. Each subgraph seeds the part it owns; the ids are stable
 * so the parts agree and seeding twice changes nothing.
 */
export const DEMO_TENANT = { id: 'demo', name: '稻花香米业 (demo rice brand)' };

export const DEMO_GROUPS = [
  { key: 'orders', name: '订单组', description: 'E-commerce orders and payment questions' },
  { key: 'logistics', name: '物流组', description: 'Delivery and logistics' },
  { key: 'aftersales', name: '售后组', description: 'Returns, refunds and quality complaints' },
  { key: 'vip', name: 'VIP专席', description: 'Dedicated agents for VIP members' },
].map((g) => ({ ...g, id: stableId(`demo:group:${g.key}`) }));

const AGENT_NAMES = ['李娜', '王芳', '张伟', '刘洋', '陈静', '杨磊', '赵敏', '黄勇', '周婷', '吴强', '徐丽', '孙浩'];
export const DEMO_AGENTS = AGENT_NAMES.map((name, i) => ({
  id: stableId(`demo:agent:${i + 1}`),
  name,
  email: `agent${i + 1}@demo.huiliu.local`,
  groupKey: DEMO_GROUPS[i % DEMO_GROUPS.length].key,
  role: i === 0 ? 'supervisor' : 'agent',
}));

export const DEMO_CUSTOMERS = [
  { key: 'c1', name: '陈女士', level: 'VIP', tags: ['VIP', '五常大米'], identities: [['wechat-oa', 'oWx_demo_chen_0001'], ['app', 'app-user-10001'], ['phone', '+8613800000001']] },
  { key: 'c2', name: '王先生', level: 'NORMAL', tags: ['新客'], identities: [['taobao', 'tb_wang_rice'], ['douyin', 'dy_open_wang_77']] },
  { key: 'c3', name: '刘阿姨', level: 'NORMAL', tags: ['复购'], identities: [['wechat-mini', 'oMini_demo_liu_0003'], ['store', 'store-sh-001:liu']] },
  { key: 'c4', name: '赵同学', level: 'NORMAL', tags: [], identities: [['weibo', '5812345678'], ['web', 'visitor-zhao-4']] },
  { key: 'c5', name: '孙总', level: 'SVIP', tags: ['企业采购', 'VIP'], identities: [['wecom-kf', 'wmDemoSun0005'], ['phone', '+8613900000005']] },
].map((c) => ({ ...c, id: stableId(`demo:customer:${c.key}`) }));

export const DEMO_CONVERSATIONS = [
  { key: 'v1', customerKey: 'c1', channelType: 'app', subject: '五常大米什么时候发货？', status: 'ASSIGNED', agentIndex: 1 },
  { key: 'v2', customerKey: 'c2', channelType: 'taobao', subject: '订单 3862410087654321 物流没有更新', status: 'QUEUED', agentIndex: null },
  { key: 'v3', customerKey: 'c3', channelType: 'wechat-mini', subject: '大米生虫了怎么办', status: 'RESOLVED', agentIndex: 2 },
].map((v) => ({ ...v, id: stableId(`demo:conversation:${v.key}`), customerId: stableId(`demo:customer:${v.customerKey}`) }));

export const DEMO_TICKET = {
  id: stableId('demo:ticket:1'),
  customerId: stableId('demo:customer:c3'),
  conversationId: stableId('demo:conversation:v3'),
  subject: '米袋内发现米虫，申请退换',
  type: 'quality',
  priority: 'HIGH',
};
