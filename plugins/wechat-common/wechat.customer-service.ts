import { ReplyWindow, type ChannelContext, type InboundEvent, type OutboundMessage, type SendResult, type WindowRule } from '../sdk/index.js';
import { callWithToken, customMessageBody, officialAccountToken } from './wechat.api.js';

/** The customer-service (客服消息) rules an official account and a mini program share; only the numbers differ. */
export interface CustomerServiceRules {
  /** What a customer message opens. */
  replyWindow: WindowRule;
  /** Refuse a send outside the window before calling WeChat. */
  enforceReplyWindow: boolean;
  /** The window an event of this name opens (a menu click, entering the chat), or null. */
  eventWindow(name: string): WindowRule | null;
  /** Names the window in errors ("WeChat reply window"). */
  label: string;
}

/** `receive`: customer messages open the reply window, some events a shorter one. */
export async function openReplyWindows(events: InboundEvent[], ctx: ChannelContext, r: CustomerServiceRules): Promise<{ events: InboundEvent[] }> {
  const window = new ReplyWindow(ctx.kv, ctx.clock, r.replyWindow, r.label);
  for (const ev of events) {
    if (ev.origin !== 'customer') continue;
    const c = ev.content;
    if (c.kind !== 'event') await window.open(ev.sender.externalId, ev.sentAt.getTime());
    else {
      const rule = r.eventWindow(c.name);
      if (rule) await window.open(ev.sender.externalId, ev.sentAt.getTime(), rule);
    }
  }
  return { events };
}

/** `send` through /cgi-bin/message/custom/send, within the window (a slot given back when WeChat refuses). */
export async function sendCustomerServiceMessage(
  message: OutboundMessage,
  ctx: ChannelContext<unknown, { appId: string; appSecret: string }>,
  channelType: string,
  r: CustomerServiceRules,
): Promise<SendResult> {
  const cfg = ctx.channel.config;
  const to = message.recipient.externalId;
  const body = customMessageBody(to, message.content, channelType);
  const slot = r.enforceReplyWindow ? await new ReplyWindow(ctx.kv, ctx.clock, r.replyWindow, r.label).reserve(to) : null;
  try {
    await callWithToken(ctx, officialAccountToken(cfg.appId, cfg.appSecret), '/cgi-bin/message/custom/send', body);
  } catch (e) {
    await slot?.release();
    throw e;
  }
  // the customer-service API returns no message id
  return { externalMessageId: message.id, status: 'sent' };
}
