import { parseTemplate, renderTemplate } from './template.render.js';

describe('reply template rendering', () => {
  const body = '{{customer.name}}您好，您的订单 {{ order.tid }} 已由{{order.courier | 快递}}发出，单号 {{order.trackingNo}}。{{customer.name}}，祝您用餐愉快！';

  it('lists the variables in order of first use', () => {
    expect(parseTemplate(body)).toEqual({ variables: ['customer.name', 'order.tid', 'order.courier', 'order.trackingNo'], errors: [] });
  });

  it('substitutes nested and flat values, applies fallbacks and reports what is missing', () => {
    const r = renderTemplate(body, { customer: { name: '陈女士' }, 'order.tid': 3862410087654321 });
    expect(r.text).toBe('陈女士您好，您的订单 3862410087654321 已由快递发出，单号 {{order.trackingNo}}。陈女士，祝您用餐愉快！');
    expect(r.missing).toEqual(['order.trackingNo']);
    const full = renderTemplate(body, { customer: { name: '王先生' }, order: { tid: '1', courier: '顺丰', trackingNo: 'SF123' } });
    expect(full).toEqual({ text: '王先生您好，您的订单 1 已由顺丰发出，单号 SF123。王先生，祝您用餐愉快！', missing: [] });
  });

  it('treats objects, null and inherited properties as missing', () => {
    expect(renderTemplate('{{a}}{{b}}{{c.toString}}', { a: { x: 1 }, b: null, c: {} }).missing).toEqual(['a', 'b', 'c.toString']);
  });

  it('refuses malformed placeholders and unbalanced braces', () => {
    expect(parseTemplate('{{ 1abc }} {{}}').errors).toHaveLength(2);
    expect(parseTemplate('您好 {{customer.name}').errors).toEqual(['unbalanced {{ or }}']);
    expect(parseTemplate('没有变量').variables).toEqual([]);
  });
});
