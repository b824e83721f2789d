import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest } from '../sdk/errors.js';

const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: true, trimValues: true, ignoreDeclaration: true });

export type XmlFields = Record<string, unknown>;

/**
 * The `<xml>` root of a WeChat payload, every value a string (64-bit MsgId stays exact). DOCTYPEs are
 * refused outright (no entity tricks); anything that is not well-formed is ChannelError BAD_REQUEST.
 */
export function parseWechatXml(text: string): XmlFields {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw badRequest('XML with a DOCTYPE is not accepted');
  const trimmed = text.trim();
  if (!trimmed.startsWith('<')) throw badRequest('body is not XML');
  const valid = XMLValidator.validate(trimmed);
  if (valid !== true) throw badRequest(`malformed XML: ${valid.err.msg}`);
  const doc = parser.parse(trimmed) as Record<string, unknown>;
  const root = doc.xml;
  if (!root || typeof root !== 'object') throw badRequest('XML has no <xml> root element');
  return root as XmlFields;
}

const cdata = (s: string) => `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

/** Serialises a flat-ish object as WeChat XML (strings as CDATA, numbers bare). */
export function buildWechatXml(fields: Record<string, unknown>): string {
  const render = (v: unknown): string => {
    if (typeof v === 'number') return String(v);
    if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `<${k}>${render(x)}</${k}>`).join('');
    return cdata(String(v ?? ''));
  };
  return `<xml>${render(fields)}</xml>`;
}

/** A string field (empty string when absent or not a string). */
export const field = (x: XmlFields, k: string): string => {
  const v = x[k];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
};
