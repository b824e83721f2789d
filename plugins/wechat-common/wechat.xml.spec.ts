import { buildWechatXml, parseWechatXml } from './wechat.xml.js';
import { TV1 } from './wechat.vectors.js';

const bad = (xml: string) => expect(() => parseWechatXml(xml)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));

describe('parseWechatXml', () => {
  it("reads the official sample's fields as exact strings (the 64-bit MsgId too)", () => {
    expect(parseWechatXml(TV1.message)).toEqual({
      ToUserName: 'gh_10f6c3c3ac5a', FromUserName: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs', CreateTime: '1409735668', MsgType: 'text', Content: 'abcdteT', MsgId: '6054768590064713728',
    });
  });

  it('keeps CDATA as it is, trims text, decodes entities and character references, ignores attributes and the declaration', () => {
    expect(parseWechatXml('<?xml version="1.0" encoding="utf-8"?>\n<xml>\n  <Content><![CDATA[ 两袋 <大米> ]]></Content>\n  <Label> 上海 &amp; 杭州 &#x4e2d; </Label><Scale a="1">15</Scale></xml>'))
      .toEqual({ Content: ' 两袋 <大米> ', Label: '上海 & 杭州 中', Scale: '15' });
  });

  it('nests child elements, turns repeated ones into arrays and empty ones into empty strings (menu events with pictures)', () => {
    const xml = '<xml><Event><![CDATA[pic_weixin]]></Event><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a1]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[b2]]></PicMd5Sum></item></PicList></SendPicsInfo><EventKey/><Extra></Extra></xml>';
    expect(parseWechatXml(xml)).toEqual({ Event: 'pic_weixin', SendPicsInfo: { Count: '2', PicList: { item: [{ PicMd5Sum: 'a1' }, { PicMd5Sum: 'b2' }] } }, EventKey: '', Extra: '' });
  });

  it('takes a tag inside a customer\'s CDATA text for text, not for a field', () => {
    expect(parseWechatXml('<xml><Content><![CDATA[<MsgId>1</MsgId>]]></Content><MsgId>2</MsgId></xml>')).toEqual({ Content: '<MsgId>1</MsgId>', MsgId: '2' });
  });

  it('round-trips what buildWechatXml writes, a "]]>" inside a value included', () => {
    expect(parseWechatXml(buildWechatXml({ Content: 'a ]]> b', Nested: { Count: 3 } }))).toEqual({ Content: 'a ]]> b', Nested: { Count: '3' } });
  });

  it('refuses what is not one well-formed <xml> document with BAD_REQUEST', () => {
    bad('<xml><MsgType>text</MsgType>'); // unclosed root
    bad('<xml><A>1</B></xml>'); // mismatched tags
    bad('<xml><A>1</A></xml><xml><A>2</A></xml>'); // two roots
    bad('<xml><A>a &nbsp; b</A></xml>'); // an entity XML does not define
    bad('<root><A>1</A></root>'); // another root
    bad('<xml>only text</xml>');
    bad('<xml></xml>');
    bad('not xml');
    bad('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>');
  });
});
