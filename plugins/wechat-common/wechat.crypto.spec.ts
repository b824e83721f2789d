import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import { WechatCrypto, wechatSignature } from './wechat.crypto.js';
import { TV1, TV2, TV3, TV5, URL_VERIFY } from './wechat.vectors.js';
// node-webot's implementation, independent of ours and of @wecom/crypto (no type declarations)
const WXBizMsgCrypt = require('wechat-crypto'); // eslint-disable-line @typescript-eslint/no-require-imports

describe('WeChat message crypto', () => {
  const tv1 = new WechatCrypto(TV1.token, TV1.encodingAESKey, TV1.appId);

  it('derives the AES key from EncodingAESKey + "=" (TV-1)', () => {
    expect(Buffer.from(TV1.encodingAESKey + '=', 'base64').toString('hex')).toBe(TV1.aesKeyHex);
  });

  it('checks the plain signature of §1.1 and the msg_signature of TV-1', () => {
    expect(wechatSignature(URL_VERIFY.token, URL_VERIFY.timestamp, URL_VERIFY.nonce)).toBe(URL_VERIFY.signature);
    expect(tv1.signature(TV1.timestamp, TV1.nonce, TV1.encrypt)).toBe(TV1.msgSignature);
    expect(() => tv1.verify(TV1.msgSignature, TV1.timestamp, TV1.nonce, TV1.encrypt)).not.toThrow();
    expect(() => tv1.verify(TV1.msgSignature, TV1.timestamp, '1320562133', TV1.encrypt)).toThrow(expect.objectContaining({ code: 'AUTH' }));
  });

  it('decrypts the official OA sample (TV-1) and re-encrypts it byte for byte with its random', () => {
    const d = tv1.decrypt(TV1.encrypt);
    expect(d.message).toBe(TV1.message);
    expect(Buffer.byteLength(d.message)).toBe(280);
    expect(d.appId).toBe(TV1.appId);
    expect(d.random.toString('latin1')).toBe(TV1.random);
    expect(tv1.encrypt(TV1.message, Buffer.from(TV1.random))).toBe(TV1.encrypt);
  });

  it('encrypts TV-2 deterministically (UTF-8 message, pad 9)', () => {
    expect(tv1.encrypt(TV2.message, Buffer.from(TV2.random))).toBe(TV2.encrypt);
    expect(tv1.signature(TV1.timestamp, TV1.nonce, TV2.encrypt)).toBe(TV2.msgSignature);
    expect(tv1.decrypt(TV2.encrypt).message).toBe(TV2.message);
  });

  it('verifies and decrypts the official WeCom samples (TV-3 echostr, TV-4 message)', () => {
    const c = new WechatCrypto(TV3.token, TV3.encodingAESKey, TV3.corpId);
    c.verify(TV3.verify.msgSignature, TV3.verify.timestamp, TV3.verify.nonce, TV3.verify.echostr);
    expect(c.decrypt(TV3.verify.echostr).message).toBe(TV3.verify.reply);
    c.verify(TV3.message.msgSignature, TV3.message.timestamp, TV3.message.nonce, TV3.message.encrypt);
    const m = c.decrypt(TV3.message.encrypt);
    expect(TV3.message.encrypt).toHaveLength(472);
    expect(m.message).toContain('<FromUserName><![CDATA[mycreate]]></FromUserName>');
    expect(m.message).toContain('<MsgId>4561255354251345929</MsgId>');
    expect(m.appId).toBe(TV3.corpId);
  });

  it('decrypts the mini program JSON sample (TV-5)', () => {
    const c = new WechatCrypto('any', TV5.encodingAESKey, TV5.appId);
    const m = c.decrypt(TV5.encrypt);
    expect(m.message).toContain('"Content": "还是睡吧"');
    expect(m.message).toContain('"MsgId": 23241477706429916');
  });

  it('refuses ciphertext for another appid and broken ciphertext with typed errors', () => {
    const other = new WechatCrypto(TV1.token, TV1.encodingAESKey, 'wx0000000000000000');
    expect(() => other.decrypt(TV1.encrypt)).toThrow(expect.objectContaining({ code: 'AUTH' }));
    expect(() => tv1.decrypt('not base64!')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => tv1.decrypt(Buffer.alloc(17).toString('base64'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const wrongKey = new WechatCrypto(TV1.token, 'A'.repeat(43), TV1.appId);
    expect(() => wrongKey.decrypt(TV1.encrypt)).toThrow(expect.objectContaining({ name: 'ChannelError' }));
    expect(() => new WechatCrypto('t', 'short', 'wx')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  describe('agrees with two independent npm implementations (@wecom/crypto, wechat-crypto)', () => {
    const node = new WXBizMsgCrypt(TV1.token, TV1.encodingAESKey, TV1.appId);
    // 26 and 58 chars + 20 + appid = 64 and 96 bytes: a full 32-byte padding block; multi-byte text; empty
    const messages = ['', 'a', '你好，世界', 'x'.repeat(26), 'y'.repeat(26 + 32), TV1.message, '🍚'.repeat(200), randomBytes(300).toString('base64')];

    it.each(messages.map((m, i) => [i, m]))('message #%i: ours → theirs and theirs → ours', (_i, message) => {
      const ours = tv1.encrypt(message as string);
      expect(wecom.decrypt(TV1.encodingAESKey, ours)).toMatchObject({ message, id: TV1.appId });
      expect(node.decrypt(ours)).toEqual({ message, id: TV1.appId });
      expect(tv1.decrypt(wecom.encrypt(TV1.encodingAESKey, message as string, TV1.appId)).message).toBe(message);
      expect(tv1.decrypt(node.encrypt(message)).message).toBe(message);
      const random = randomBytes(16);
      expect(tv1.encrypt(message as string, random)).toBe(wecom.encrypt(TV1.encodingAESKey, message as string, TV1.appId, random));
      expect(tv1.signature('1700000000', 'n0nce', ours)).toBe(wecom.getSignature(TV1.token, '1700000000', 'n0nce', ours));
      expect(tv1.signature('1700000000', 'n0nce', ours)).toBe(node.getSignature('1700000000', 'n0nce', ours));
    });

    it('builds an encrypted passive reply the others can verify and decrypt', () => {
      const xml = tv1.encryptedReplyXml('<xml><Content><![CDATA[好]]></Content></xml>', '1700000000', '42');
      const enc = /<Encrypt><!\[CDATA\[(.*?)]]>/.exec(xml)![1];
      const sig = /<MsgSignature><!\[CDATA\[(.*?)]]>/.exec(xml)![1];
      expect(sig).toBe(wecom.getSignature(TV1.token, '1700000000', '42', enc));
      expect(wecom.decrypt(TV1.encodingAESKey, enc).message).toBe('<xml><Content><![CDATA[好]]></Content></xml>');
    });
  });
});
