/**
 * Normalising and masking phone numbers and addresses. Pure functions: what an agent sees, and what the lookup
 * hashes are computed over (so that "138 1234 5678" and "+86 138-1234-5678" find the same customer).
 */

/** E.164 (`+8613812345678`), or null when it is not a phone number. Numbers without a country code are Chinese. */
export function normalizePhone(raw: string): string | null {
  let s = raw.normalize('NFKC').replace(/[\s\-().]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!s.startsWith('+')) {
    if (/^86(1[3-9]\d{9})$/.test(s)) s = `+${s}`;
    else if (/^1[3-9]\d{9}$/.test(s)) s = `+86${s}`;
    else if (/^0[1-9]\d{8,10}$/.test(s)) s = `+86${s.slice(1)}`; // landline with trunk prefix: 021-12345678
    else if (/^[1-9]\d{5,11}$/.test(s)) s = `+86${s}`; // 400/800 service numbers, local numbers
    else return null;
  }
  return /^\+[1-9]\d{5,14}$/.test(s) ? s : null;
}

/** How a number is shown in full: Chinese numbers in their national form (13812345678, 02112345678). */
export function displayPhone(e164: string): string {
  if (!e164.startsWith('+86')) return e164;
  const national = e164.slice(3);
  return /^1\d{10}$/.test(national) || /^[48]00\d+$/.test(national) ? national : `0${national}`;
}

/** 138****5678: the operator prefix and the last four digits stay, the subscriber part is hidden. */
export function maskPhone(e164: string): string {
  const shown = displayPhone(e164);
  if (shown.length <= 6) return `${shown.slice(0, 1)}${'*'.repeat(Math.max(shown.length - 2, 1))}${shown.slice(-1)}`;
  const head = shown.startsWith('+') ? Math.min(5, shown.length - 6) : 3;
  return `${shown.slice(0, head)}****${shown.slice(-4)}`;
}

/** NFKC (full-width digits and letters become half-width), single spaces, trimmed. */
export function normalizeAddress(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

// province (省 / 自治区 / 特别行政区), prefecture (市 / 自治州 / 地区 / 盟), district or county (区 / 县 / 旗 / 市)
// (the province and prefecture parts cannot run past a 区 or 县, so a street like 市场路 is never taken for a city)
const REGION = /^(?:[^\d\s,，市区县]{1,12}?(?:省|自治区|特别行政区))?(?:[^\d\s,，区县]{1,12}?(?:市|自治州|地区|盟))?(?:[^\d\s,，]{1,12}?(?:区|县|旗|市))?/u;

/** 上海市浦东新区张江路 123 号 → 上海市浦东新区****: shown up to the district, the rest hidden. */
export function maskAddress(address: string): string {
  const a = normalizeAddress(address);
  const region = REGION.exec(a)?.[0] ?? '';
  const keep = region.length > 0 && region.length < a.length ? region : [...a].slice(0, Math.min(6, Math.floor([...a].length / 2))).join('');
  return `${keep}****`;
}

/** The input of the name-and-address lookup hash: case, width and spacing do not matter. */
export function nameAddressKey(name: string, address: string): string {
  const squash = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[\s,，.。\-#]/g, '');
  return `${squash(name)}\u0000${squash(address)}`;
}
