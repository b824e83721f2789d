import { randomBytes } from 'node:crypto';
import { displayPhone, maskAddress, maskPhone, nameAddressKey, normalizePhone } from './pii.format.js';
import { present } from './pii.view.js';
import { keyIdOf, PiiKeyMissingError, PiiVault } from './pii.vault.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const hashKey = randomBytes(32);
const vault = (active: string, keys: Record<string, Buffer> = { k1, k2 }, hk = hashKey) =>
  new PiiVault({ keys: new Map(Object.entries(keys)), activeKeyId: active, hashKey: hk });

describe('PiiVault (AES-256-GCM with key ids, HMAC lookup hashes)', () => {
  it('round-trips, with a fresh IV each time and the key id in front', () => {
    const v = vault('k1');
    const a = v.encrypt('+8613812345678', 't1', 'phone');
    const b = v.encrypt('+8613812345678', 't1', 'phone');
    expect(a).not.toBe(b);
    expect(a.startsWith('k1:')).toBe(true);
    expect(a).not.toContain('13812345678');
    expect(v.decrypt(a, 't1', 'phone')).toBe('+8613812345678');
    expect(v.decrypt(v.encrypt('上海市浦东新区张江路 1 号', 't1', 'address'), 't1', 'address')).toBe('上海市浦东新区张江路 1 号');
  });

  it('refuses a value moved to another tenant or field, or tampered with', () => {
    const v = vault('k1');
    const enc = v.encrypt('+8613812345678', 't1', 'phone');
    expect(() => v.decrypt(enc, 't2', 'phone')).toThrow();
    expect(() => v.decrypt(enc, 't1', 'address')).toThrow();
    const raw = Buffer.from(enc.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => v.decrypt(`k1:${raw.toString('base64')}`, 't1', 'phone')).toThrow();
  });

  it('rotates: old values still decrypt, reencrypt moves them to the active key, a retired key is reported', () => {
    const old = vault('k1').encrypt('+8613812345678', 't1', 'phone');
    const v = vault('k2');
    expect(v.isStale(old)).toBe(true);
    expect(v.decrypt(old, 't1', 'phone')).toBe('+8613812345678');
    const moved = v.reencrypt(old, 't1', 'phone');
    expect(keyIdOf(moved)).toBe('k2');
    expect(v.isStale(moved)).toBe(false);
    expect(v.reencrypt(moved, 't1', 'phone')).toBe(moved);
    expect(() => vault('k2', { k2 }).decrypt(old, 't1', 'phone')).toThrow(PiiKeyMissingError);
  });

  it('hashes per purpose and tenant with its own key (not the encryption key)', () => {
    const v = vault('k1');
    const h = v.hash('phone', 't1', '+8613812345678');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(vault('k2').hash('phone', 't1', '+8613812345678')).toBe(h); // rotation of encryption keys keeps lookups
    expect(v.hash('phone', 't2', '+8613812345678')).not.toBe(h);
    expect(v.hash('name-address', 't1', '+8613812345678')).not.toBe(h);
    expect(vault('k1', { k1, k2 }, randomBytes(32)).hash('phone', 't1', '+8613812345678')).not.toBe(h);
  });

  it('refuses an active key that is not configured', () => {
    expect(() => vault('k3')).toThrow(/k3/);
  });
});

describe('phone numbers', () => {
  it.each([
    ['13812345678', '+8613812345678'],
    ['138 1234 5678', '+8613812345678'],
    ['+86 138-1234-5678', '+8613812345678'],
    ['008613812345678', '+8613812345678'],
    ['8613812345678', '+8613812345678'],
    ['１３８１２３４５６７８', '+8613812345678'],
    ['021-12345678', '+862112345678'],
    ['4008001234', '+864008001234'],
    ['+1 415 555 0100', '+14155550100'],
  ])('normalises %s to %s', (raw, e164) => expect(normalizePhone(raw)).toBe(e164));

  it.each(['', 'abc', '12', '+0123456', '138-abcd-5678'])('refuses %p', (raw) => expect(normalizePhone(raw)).toBeNull());

  it('shows Chinese numbers in national form and masks the middle', () => {
    expect(displayPhone('+8613812345678')).toBe('13812345678');
    expect(maskPhone('+8613812345678')).toBe('138****5678');
    expect(displayPhone('+862112345678')).toBe('02112345678');
    expect(maskPhone('+862112345678')).toBe('021****5678');
    expect(maskPhone('+14155550100')).toBe('+1415****0100');
    expect(present('+8613812345678', 'phone', true)).toBe('13812345678');
    expect(present('+8613812345678', 'phone', false)).toBe('138****5678');
  });
});

describe('addresses', () => {
  it.each([
    ['上海市浦东新区张江路123号5栋', '上海市浦东新区****'],
    ['广东省深圳市南山区科技园南区深南大道 9988 号', '广东省深圳市南山区****'],
    ['北京市朝阳区建国路88号SOHO现代城', '北京市朝阳区****'],
    ['江苏省苏州市昆山市玉山镇前进路 1 号', '江苏省苏州市昆山市****'],
    ['新疆维吾尔自治区乌鲁木齐市天山区解放北路 1 号', '新疆维吾尔自治区乌鲁木齐市天山区****'],
    ['黑龙江省哈尔滨市五常市民乐乡', '黑龙江省哈尔滨市五常市****'],
    ['浙江省杭州市余杭区文一西路969号', '浙江省杭州市余杭区****'],
    ['朝阳区建国路市场街 5 号', '朝阳区****'],
  ])('masks %s after the district', (address, masked) => expect(maskAddress(address)).toBe(masked));

  it('masks an address without a recognisable district after its first characters', () => {
    const masked = maskAddress('12 Nathan Road, Kowloon');
    expect(masked.endsWith('****')).toBe(true);
    expect(masked).not.toContain('Kowloon');
    expect(present('上海市浦东新区张江路123号', 'address', true)).toBe('上海市浦东新区张江路123号');
  });

  it('compares name and address regardless of spacing, width and case', () => {
    expect(nameAddressKey('陈 女士', '上海市浦东新区 张江路１２３号')).toBe(nameAddressKey('陈女士', '上海市浦东新区张江路123号'));
    expect(nameAddressKey('Amy', 'a road')).toBe(nameAddressKey('AMY', 'A Road'));
    expect(nameAddressKey('陈女士', '上海市浦东新区张江路123号')).not.toBe(nameAddressKey('王先生', '上海市浦东新区张江路123号'));
  });
});
