import type { PluginDefinition } from '../sdk/index.js';
import app from '../channel-app/index.js';
import douyin from '../channel-douyin/index.js';
import partnerApi from '../channel-partner-api/index.js';
import phone from '../channel-phone/index.js';
import store from '../channel-store/index.js';
import taobao from '../channel-taobao/index.js';
import web from '../channel-web/index.js';
import wechatMini from '../channel-wechat-mini/index.js';
import wechatOa from '../channel-wechat-oa/index.js';
import wecomKf from '../channel-wecom-kf/index.js';
import weibo from '../channel-weibo/index.js';
import type { BuiltinRegistry } from './loader.js';

const all: PluginDefinition[] = [wechatOa, wechatMini, wecomKf, douyin, taobao, weibo, web, app, phone, store, partnerApi];

/** The built-in plugins by id (`channel-wechat-oa`...): the default plugin list. */
export const BUILTIN_PLUGINS: BuiltinRegistry = Object.fromEntries(all.map((p) => [p.manifest.id, () => p]));
