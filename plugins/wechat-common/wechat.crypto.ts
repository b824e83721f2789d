import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { authError, badRequest } from '../sdk/errors.js';
import { safeEqual, sha1Hex } from '../sdk/crypto.js';

/** sha1 of the sorted, concatenated parts: WeChat's `signature` (token, timestamp, nonce) and `msg_signature` (+ Encrypt). */
export function wechatSignature(...parts: string[]): string {
  return sha1Hex([...parts].sort().join(''));
}

export const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/**
 * WeChat / WeCom message encryption ("安全模式"): AES-256-CBC with key = Base64(EncodingAESKey + "="),
 * IV = key[0..16), PKCS#7 padding to 32 bytes; plaintext = random(16) ‖ len(4, big endian) ‖ msg ‖ appId.
 */
export class WechatCrypto {
  private readonly key: KeyObject; // imported once: a raw Buffer key is re-imported by every cipher
  private readonly iv: Buffer;

  /** `appId`: the OA/mini-program appid, or the WeCom corpid (receiveid). */
  constructor(private readonly token: string, encodingAESKey: string, private readonly appId: string) {
    if (!ENCODING_AES_KEY.test(encodingAESKey)) throw badRequest('encodingAESKey must be 43 letters and digits');
    const key = Buffer.from(encodingAESKey + '=', 'base64');
    if (key.length !== 32) throw badRequest('encodingAESKey does not decode to 32 bytes');
    this.key = createSecretKey(key);
    this.iv = key.subarray(0, 16);
  }

  signature(timestamp: string, nonce: string, encrypt: string): string {
    return wechatSignature(this.token, timestamp, nonce, encrypt);
  }

  /** Throws ChannelError AUTH when `msgSignature` does not match. */
  verify(msgSignature: string | undefined, timestamp: string | undefined, nonce: string | undefined, encrypt: string): void {
    if (!msgSignature || timestamp === undefined || nonce === undefined) throw authError('missing msg_signature, timestamp or nonce');
    if (!safeEqual(msgSignature.toLowerCase(), this.signature(timestamp, nonce, encrypt))) throw authError('msg_signature mismatch');
  }

  /** Decrypts and checks the trailing appId/corpid (AUTH when it is another account's message). */
  decrypt(encrypt: string): { message: string; appId: string; random: Buffer } {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypt)) throw badRequest('Encrypt is not base64');
    const data = Buffer.from(encrypt, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) throw badRequest('Encrypt has an invalid length');
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-cbc', this.key, this.iv);
      d.setAutoPadding(false);
      plain = Buffer.concat([d.update(data), d.final()]);
    } catch {
      throw badRequest('cannot decrypt Encrypt');
    }
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > 32 || pad > plain.length) throw badRequest('cannot decrypt Encrypt (bad padding: wrong EncodingAESKey?)');
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw badRequest('decrypted message too short');
    const len = content.readUInt32BE(16);
    if (20 + len > content.length) throw badRequest('cannot decrypt Encrypt (bad length: wrong EncodingAESKey?)');
    const message = content.subarray(20, 20 + len).toString('utf8');
    const appId = content.subarray(20 + len).toString('utf8');
    if (this.appId && appId !== this.appId) throw authError('the message is for another appid/corpid');
    return { message, appId, random: Buffer.from(content.subarray(0, 16)) };
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const msg = Buffer.from(message, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(msg.length, 0);
    const body = Buffer.concat([random, len, msg, Buffer.from(this.appId, 'utf8')]);
    const pad = 32 - (body.length % 32);
    const c = createCipheriv('aes-256-cbc', this.key, this.iv);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), c.final()]).toString('base64');
  }

  /** The encrypted passive-reply envelope, signed over its own timestamp and nonce. */
  encryptedReplyXml(message: string, timestamp: string, nonce: string, random?: Buffer): string {
    const enc = this.encrypt(message, random);
    return `<xml><Encrypt><![CDATA[${enc}]]></Encrypt><MsgSignature><![CDATA[${this.signature(timestamp, nonce, enc)}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
  }
}
