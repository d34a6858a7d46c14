import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ name: 'selfheal', level, base: { service: 'selfheal' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
