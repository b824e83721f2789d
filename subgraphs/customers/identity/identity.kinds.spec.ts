import { newId } from '../../_shared/ids.js';
import { appIdFor, kindOfChannel, placeholderName } from './identity.kinds.js';

describe('identity kinds', () => {
  it.each([
    ['wechat-oa', 'wechat-openid'],
    ['wechat-mini', 'wechat-openid'],
    ['wechat-unionid', 'wechat-unionid'],
    ['wecom-kf', 'wecom-external'],
    ['douyin', 'douyin-openid'],
    ['doudian', 'douyin-openid'],
    ['taobao', 'taobao-buyer'],
    ['tmall', 'taobao-buyer'],
    ['weibo', 'weibo'],
    ['app', 'app-user'],
    ['web', 'web-visitor'],
    ['phone', 'phone'],
    ['store', 'store'],
    ['partner-acme', 'partner-acme'],
  ])('%s ids are %s identities', (channel, kind) => expect(kindOfChannel(channel)).toBe(kind));

  it('namespaces app-scoped ids by app id only', () => {
    expect(appIdFor('wechat-openid', 'wx123')).toBe('wx123');
    expect(appIdFor('wechat-openid', null)).toBe('');
    expect(appIdFor('taobao-buyer', '2100001')).toBe('2100001');
    expect(appIdFor('wechat-unionid', 'wx123')).toBe('');
    expect(appIdFor('app-user', 'x')).toBe('');
  });

  it('names a customer nobody has named yet', () => {
    expect(placeholderName('wechat-openid', '019dc3a1-0000-7000-8000-00000a1b2c3d')).toBe('微信用户 1b2c3d');
    expect(placeholderName('store', '019dc3a1-0000-7000-8000-00000a1b2c3d')).toBe('store用户 1b2c3d');
    // two customers created in the same second do not share a name
    expect(placeholderName('wechat-openid', newId())).not.toBe(placeholderName('wechat-openid', newId()));
  });
});
