import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured logs. Secrets and personal data are redacted by path so a careless log line cannot leak them. */
export function createLogger(name: string, level = 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'token', '*.token', 'secret', '*.secret', 'password', '*.password', 'phone', '*.phone', 'config.appSecret', 'config.encodingAESKey'],
      censor: '[redacted]',
    },
  });
}
