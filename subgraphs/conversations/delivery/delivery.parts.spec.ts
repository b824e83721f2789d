import type { MessageEntity } from '../message/message.entity.js';
import { fromPartId, outboundParts, partId, splitText } from './delivery.service.js';

const msg = (text: string, attachments: MessageEntity['attachments'] = null) => ({ id: 'm', text, attachments }) as MessageEntity;

describe('outbound parts: what one message becomes on a channel', () => {
  it('sends the text first, then every attachment as its own message (media carry no caption on the platforms)', () => {
    expect(outboundParts(msg('顺丰 SF123', [
      { kind: 'image', mediaRef: 'https://cdn/p.jpg' },
      { kind: 'file', mediaRef: 'MEDIA_1', name: '发票.pdf', size: 2048 },
      { kind: 'sticker', mediaRef: 'x' },
    ]))).toEqual([
      { kind: 'text', text: '顺丰 SF123' },
      { kind: 'image', url: 'https://cdn/p.jpg' },
      { kind: 'file', mediaId: 'MEDIA_1', name: '发票.pdf', size: 2048 },
    ]);
    expect(outboundParts(msg('', [{ kind: 'voice', mediaRef: 'V1' }]))).toEqual([{ kind: 'voice', mediaId: 'V1' }]);
    expect(outboundParts(msg('你好'))).toEqual([{ kind: 'text', text: '你好' }]);
  });

  it("cuts a text longer than the channel's limit, after a sentence's end or a line break where one falls late enough", () => {
    const long = `${'米'.repeat(500)}。${'面'.repeat(300)}`;
    const parts = outboundParts(msg(long), { maxTextLength: 600 });
    expect(parts.map((p) => (p.kind === 'text' ? [...p.text].length : 0))).toEqual([501, 300]);
    expect(parts.map((p) => (p.kind === 'text' ? p.text : '')).join('')).toBe(long);
    // No break late enough: a hard cut, by characters (never inside a surrogate pair).
    expect(splitText('😀'.repeat(5), 2)).toEqual(['😀😀', '😀😀', '😀']);
    expect(splitText('短', 600)).toEqual(['短']);
  });

  it("sends an attachment of a kind the channel does not send as a link when it has a URL, and leaves it to fail when it has none", () => {
    const caps = { maxTextLength: 600, outboundKinds: ['text' as const, 'image' as const] };
    expect(outboundParts(msg('发票见附件', [
      { kind: 'file', mediaRef: 'https://cdn.example.com/invoice.pdf', name: '发票.pdf' },
      { kind: 'image', mediaRef: 'https://cdn.example.com/box.jpg' },
      { kind: 'video', mediaRef: 'MEDIA_V' },
    ]), caps)).toEqual([
      { kind: 'text', text: '发票见附件' },
      { kind: 'text', text: '发票.pdf: https://cdn.example.com/invoice.pdf' },
      { kind: 'image', url: 'https://cdn.example.com/box.jpg' },
      { kind: 'video', mediaId: 'MEDIA_V' },
    ]);
  });

  it('names parts <id>, <id>:1, <id>:2 and reads a part id back to its message', () => {
    expect([0, 1, 2].map((i) => partId('m1', i))).toEqual(['m1', 'm1:1', 'm1:2']);
    expect(fromPartId('m1:2')).toEqual({ messageId: 'm1', part: 2 });
    expect(fromPartId('m1')).toEqual({ messageId: 'm1', part: 0 });
  });
});
