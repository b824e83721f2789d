import { DEMO_GROUPS, DEMO_TENANT } from '../../_shared/demo-data.js';
import { DomainError } from '../../_shared/errors.js';
import type { ConversationsServices } from '../conversations.services.js';

const group = (key: string) => DEMO_GROUPS.find((g) => g.key === key)!.id;

/**
 * The demo tenant's routing rules (idempotent: saved once, never overwritten): order, logistics and after-sales
 * questions by keyword to their groups, VIP members to the VIP desk with the L1 group as fallback.
 */
export async function seedRoutingDemo(s: ConversationsServices): Promise<void> {
  const t = DEMO_TENANT.id;
  if ((await s.routingRules.view(t)).version > 0) return;
  const rules = {
    defaultGroupId: group('orders'),
    businessTypes: [
      { type: 'logistics', intents: ['track_parcel'], keywords: ['物流', '快递', '发货', '到货', '没收到'] },
      { type: 'aftersales', intents: ['return', 'refund'], keywords: ['退货', '退款', '换货', '生虫', '质量', '坏了'] },
      { type: 'order', intents: ['order_status'], keywords: ['订单', '付款', '发票', '优惠券'] },
    ],
    l1: [
      { id: 'logistics', businessTypes: ['logistics'], groupId: group('logistics') },
      { id: 'aftersales', businessTypes: ['aftersales'], groupId: group('aftersales') },
      { id: 'orders', businessTypes: ['order'], groupId: group('orders') },
    ],
    l2: [{ id: 'vip', when: { vipLevels: ['VIP', 'SVIP'] }, groupId: group('vip'), fallback: 'l1', priority: 10 }],
    priority: { vipLevels: { SVIP: 20, VIP: 10 }, riskLevels: { high: 15 } },
  };
  try {
    await s.routing.updateRules(t, rules, 0, 'demo-seed');
  } catch (err) {
    if (!(err instanceof DomainError && err.code === 'CONFLICT')) throw err; // another process seeded them first
  }
}
