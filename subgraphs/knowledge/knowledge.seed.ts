import { DEMO_AGENTS, DEMO_TENANT } from '../_shared/demo-data.js';
import { stableId } from '../_shared/ids.js';
import type { KnowledgeServices } from './knowledge.services.js';

export const DEMO_CATEGORIES = [
  { key: 'products', name: '产品知识' },
  { key: 'storage', name: '储存与保鲜' },
  { key: 'delivery', name: '物流配送' },
  { key: 'aftersales', name: '售后服务' },
].map((c) => ({ ...c, id: stableId(`demo:kb:category:${c.key}`) }));

export const DEMO_ARTICLES = [
  {
    key: 'varieties',
    category: 'products',
    title: '五常大米、东北大米和泰国香米有什么区别？',
    body: [
      '五常大米：产自黑龙江五常市，品种以稻花香2号为主，一年一季，生长期长，米粒饱满，煮饭清香、口感软糯有嚼劲。我们的五常大米均有原产地溯源码，可扫码查询。',
      '东北大米：泛指黑龙江、吉林、辽宁产区的粳米，米粒椭圆、晶莹，口感偏软，性价比高，适合日常家庭食用。',
      '泰国香米：长粒籼米，原产泰国，米粒细长，香味浓郁，口感松散不粘，适合炒饭、搭配咖喱。',
      '选购建议：喜欢软糯口感选五常大米；日常口粮选东北大米；做炒饭或东南亚菜选泰国香米。',
    ].join('\n\n'),
  },
  {
    key: 'storage',
    category: 'storage',
    title: '大米如何储存？真空包装与防虫小贴士',
    body: [
      '真空包装：我们的 2.5kg 和 5kg 装大米均采用真空包装，未开封可在阴凉干燥处保存 12 个月。包装漏气变软不影响食用，但请尽快食用。',
      '开袋后：建议倒入密封米桶，放在阴凉、通风、干燥处，避免阳光直射和靠近灶台，尽量在 1-2 个月内吃完。',
      '防虫小贴士：米桶内放几瓣大蒜、花椒或干辣椒可驱虫；夏季可将小份大米密封后放入冰箱冷藏；发现米虫可将大米摊开置于阴凉通风处，米虫会自行爬走，切勿暴晒。',
      '如收到时已有米虫或霉变，请拍照联系客服，按质量问题处理。',
    ].join('\n\n'),
  },
  {
    key: 'delivery',
    category: 'delivery',
    title: '下单后多久发货？各地配送时效',
    body: [
      '发货时间：每日 16:00 前付款的订单当天发货，16:00 后付款的次日发货；大促期间 48 小时内发货。',
      '配送时效：江浙沪及东北地区 1-2 天送达，华北、华中、华南 2-3 天，西北、西南 3-5 天，新疆、西藏等偏远地区 5-7 天。',
      '默认快递为顺丰或京东物流，企业采购大宗订单走物流专线，发货后会短信通知运单号。',
      '物流超过 48 小时未更新，请提供订单号联系客服，我们会向快递公司催查。',
    ].join('\n\n'),
  },
  {
    key: 'returns',
    category: 'aftersales',
    title: '退换货政策',
    body: [
      '七天无理由：未拆封、真空包装完好的商品，签收后 7 天内支持无理由退货，退货运费由买家承担。',
      '质量问题：收到商品出现米虫、霉变、异味或包装破损漏米，签收后 15 天内凭照片申请换货或全额退款，运费由我们承担。',
      '食品安全原因：已拆封且无质量问题的大米不支持退换。',
      '退款时效：仓库收到退货后 1-3 个工作日内原路退款；质量问题仅需照片即可先行退款，无需寄回。',
    ].join('\n\n'),
  },
].map((a) => ({ ...a, id: stableId(`demo:kb:article:${a.key}`), categoryId: stableId(`demo:kb:category:${a.category}`) }));

export const DEMO_FAQS = [
  {
    key: 'bugs', category: 'storage',
    questions: ['大米里有米虫怎么办？', '米生虫了还能吃吗', '收到的米里面有虫子'],
    answer: '少量米虫不影响食用：把大米摊开放在阴凉通风处，米虫会自行爬走，再淘洗干净即可，切勿暴晒。若收到货时就有米虫，请在签收后15天内拍照联系客服，按质量问题为您补发或退款。',
  },
  {
    key: 'shelf-life', category: 'storage',
    questions: ['大米的保质期是多久？', '真空包装的米能放多久'],
    answer: '真空包装大米未开封保质期12个月，编织袋装6个月，均需放在阴凉干燥处；开袋后建议1-2个月内吃完。',
  },
  {
    key: 'sf', category: 'delivery',
    questions: ['可以发顺丰吗？', '能指定顺丰快递吗'],
    answer: '可以。下单时选择“顺丰配送”，5kg以内加收8元；已下单未发货的，联系客服补差价后改发顺丰。',
  },
  {
    key: '7day', category: 'aftersales',
    questions: ['支持七天无理由退货吗？', '买了不想要能退吗'],
    answer: '支持。签收后7天内，未拆封、真空包装完好的商品可申请无理由退货，退货运费由买家承担，仓库签收后1-3个工作日退款。',
  },
].map((f) => ({ ...f, id: stableId(`demo:kb:faq:${f.key}`), categoryId: stableId(`demo:kb:category:${f.category}`) }));

export const DEMO_TEMPLATES = [
  { key: 'shipped', name: '发货通知', body: '{{customer.name | 亲}}您好，您的订单 {{order.tid}} 已由{{order.courier | 快递}}发出，运单号 {{order.trackingNo}}，请留意查收。' },
  { key: 'quality', name: '质量问题致歉', body: '{{customer.name | 亲}}，非常抱歉给您带来不好的体验！请把订单 {{order.tid}} 的问题照片发给我们，核实后为您补发或全额退款，无需寄回。' },
  { key: 'refund', name: '退款进度', body: '{{customer.name | 亲}}您好，订单 {{order.tid}} 的退款 {{refund.amount}} 元已原路退回，预计 {{refund.eta | 1-3个工作日}} 到账。' },
].map((t) => ({ ...t, id: stableId(`demo:kb:template:${t.key}`) }));

/** The demo tenant's knowledge base, published; seeding twice changes nothing. */
export async function seedKnowledgeDemo(s: KnowledgeServices): Promise<void> {
  const t = DEMO_TENANT.id;
  const categories = new Set((await s.categories.byIds(t, DEMO_CATEGORIES.map((c) => c.id))).map((c) => c.id));
  for (const c of DEMO_CATEGORIES) if (!categories.has(c.id)) await s.categories.create(t, { id: c.id, name: c.name });
  const articles = new Map((await s.articles.byIds(t, DEMO_ARTICLES.map((a) => a.id))).map((a) => [a.id, a]));
  for (const a of DEMO_ARTICLES) {
    const existing = articles.get(a.id) ?? (await s.articles.create(t, { id: a.id, title: a.title, body: a.body, categoryId: a.categoryId }, DEMO_AGENTS[0].id));
    if (existing.status !== 'PUBLISHED') await s.articles.publish(t, a.id);
  }
  const faqs = new Map((await s.faqs.byIds(t, DEMO_FAQS.map((f) => f.id))).map((f) => [f.id, f]));
  for (const f of DEMO_FAQS) {
    const existing = faqs.get(f.id) ?? (await s.faqs.create(t, { id: f.id, questions: f.questions, answer: f.answer, categoryId: f.categoryId }, DEMO_AGENTS[0].id));
    if (existing.status !== 'PUBLISHED') await s.faqs.publish(t, f.id, DEMO_AGENTS[0].id);
  }
  const templates = new Set((await s.templates.byIds(t, DEMO_TEMPLATES.map((x) => x.id))).map((x) => x.id));
  for (const x of DEMO_TEMPLATES) if (!templates.has(x.id)) await s.templates.create(t, { id: x.id, name: x.name, body: x.body }, DEMO_AGENTS[0].id);
}
