import { SaxesParser } from 'saxes';
import { badRequest } from '../sdk/errors.js';

export type XmlFields = Record<string, unknown>;

interface Frame { name: string; text: string; children: XmlFields | null }

/**
 * The `<xml>` root of a WeChat payload, every value a string (64-bit MsgId stays exact): an element with text or
 * CDATA is that text (text trimmed, CDATA as it is), one with child elements an object, a repeated child an array, an empty one ''.
 * Attributes are ignored. DOCTYPEs are refused outright (no entity tricks); anything that is not well-formed XML
 * (saxes checks XML 1.0 well-formedness in the same single pass that builds the object) is ChannelError BAD_REQUEST.
 */
export function parseWechatXml(text: string): XmlFields {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw badRequest('XML with a DOCTYPE is not accepted');
  const trimmed = text.trim();
  if (!trimmed.startsWith('<')) throw badRequest('body is not XML');
  const stack: Frame[] = [];
  let root: Frame | null = null;
  let rootValue: unknown;
  const parser = new SaxesParser();
  parser.on('opentag', (tag) => {
    const frame: Frame = { name: tag.name, text: '', children: null };
    if (!stack.length) root = frame;
    stack.push(frame);
  });
  // Text between tags is trimmed, CDATA kept as it is: a customer's message keeps its spaces.
  parser.on('text', (t) => { if (stack.length) stack[stack.length - 1].text += t.trim(); });
  parser.on('cdata', (t) => { if (stack.length) stack[stack.length - 1].text += t; });
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    const value = valueOf(frame);
    const parent = stack[stack.length - 1];
    if (!parent) { rootValue = value; return; }
    const into = (parent.children ??= {});
    const had = into[frame.name];
    into[frame.name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  });
  try {
    parser.write(trimmed).close();
  } catch (e) {
    throw badRequest(`malformed XML: ${(e as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  if ((root as Frame | null)?.name !== 'xml' || !rootValue || typeof rootValue !== 'object') throw badRequest('XML has no <xml> root element');
  return rootValue as XmlFields;
}

/** Text only: the text. Child elements: an object (any text beside them under '#text'). */
function valueOf(f: Frame): unknown {
  const text = f.text;
  if (!f.children) return text;
  if (text) f.children['#text'] = text;
  return f.children;
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
