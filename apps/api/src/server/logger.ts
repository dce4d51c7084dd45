import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs, one object per line (stdout unless a destination is given). */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino({ name: 'sis-api', level, base: { pid: process.pid } }, destination);
}

/**
 * One log line per request, written when the response is finished (or the client went away): method, path
 * (without the query string, which may hold search text), status, duration, and the GraphQL operation name.
 * Also sets X-Request-Id so that a client can quote it.
 */
export function requestLogging(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const requestId = crypto.randomUUID();
    const path = req.path; // captured now: routers rewrite req.url while they handle it
    res.setHeader('X-Request-Id', requestId);
    let logged = false;
    const log = (event: 'finish' | 'close') => {
      if (logged) return;
      logged = true;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const body = req.body as { operationName?: unknown } | undefined;
      const operation = typeof body?.operationName === 'string' ? body.operationName : undefined;
      const line = {
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        ...(operation && { operation }),
        ...(event === 'close' && !res.writableFinished && { aborted: true }),
      };
      if (res.statusCode >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    };
    res.on('finish', () => log('finish'));
    res.on('close', () => log('close'));
    next();
  };
}
