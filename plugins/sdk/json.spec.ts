import { idString, parseJsonLossless, quoteBigIntegers } from './json.js';

describe('lossless JSON', () => {
  it('keeps integers beyond 2^53 exact as strings, anywhere in the document', () => {
    expect(parseJsonLossless('{"MsgId":23241477706429916,"a":[9007199254740993,-9223372036854775808],"small":1234567890123456,"n":{"tid":3901237651234567890}}'))
      .toEqual({ MsgId: '23241477706429916', a: ['9007199254740993', '-9223372036854775808'], small: 1234567890123456, n: { tid: '3901237651234567890' } });
  });

  it('leaves strings, floats and exponents alone', () => {
    const text = '{"s":"12345678901234567890 \\" 98765432109876543210","f":12345678901234567.5,"e":1e21,"x":-0.5}';
    expect(quoteBigIntegers(text)).toBe(text);
    expect(parseJsonLossless(text).s).toBe('12345678901234567890 " 98765432109876543210');
  });

  it('throws ChannelError BAD_REQUEST on invalid JSON', () => {
    expect(() => parseJsonLossless('{"a":')).toThrow(expect.objectContaining({ name: 'ChannelError', code: 'BAD_REQUEST' }));
  });

  it('never repeats the body in its error (a phone number or a name would reach logs and refusal reasons)', () => {
    const reason = (body: string) => { try { parseJsonLossless(body); } catch (e) { return (e as Error).message; } return ''; };
    for (const body of ['+8613912345678', '{"phone":"13912345678",}', `{"name":"王小明","phone":13912345678 x${' '.repeat(50)}}`]) {
      const r = reason(body);
      expect(r).toMatch(/^malformed JSON: /);
      expect(r).not.toMatch(/139|王小明/);
    }
    expect(reason('{"a":')).toBe('malformed JSON: Unexpected end of JSON input');
  });

  it('turns ids into strings', () => {
    expect([idString(12), idString('x'), idString(''), idString(null), idString(1.5), idString(BigInt('9007199254740993'))]).toEqual(['12', 'x', undefined, undefined, '1.5', '9007199254740993']);
  });
});
