import crypto from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { FailureLimiter } from './failureLimiter';

/** The cookie the web app's login sets: HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot send it). */
export const TOKEN_COOKIE = 'sis_token';
export const AUTH_PATHS = { login: '/auth/login', logout: '/auth/logout', session: '/auth/session' } as const;
export const UNAUTHENTICATED = 'UNAUTHENTICATED';
const COOKIE_MAX_AGE_S = 400 * 24 * 3600;

export interface TokenAuthOptions {
  /** Failed attempts one client address may make per window before it is refused for the rest of the window. */
  maxFailures?: number;
  windowMs?: number;
  /** Client addresses remembered at most (bounded memory under a flood of addresses). */
  maxClients?: number;
}

type Verdict = { ok: true } | { ok: false; status: 401 | 429; message: string; retryAfterS?: number };

function sha256(text: string): Buffer {
  return crypto.createHash('sha256').update(text, 'utf8').digest();
}

/** The token a request presents: `Authorization: Bearer <token>`, else the login cookie. */
export function presentedToken(req: Request): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : '';
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return '';
      }
    }
  }
  return undefined;
}

/**
 * Access-token checks: tokens compare as SHA-256 digests with crypto.timingSafeEqual (constant time, whatever the
 * lengths); failed attempts are logged and rate-limited per client address. With no token configured every
 * request passes (a loopback server without SIS_API_TOKEN).
 */
export class TokenAuth {
  private readonly digest: Buffer | undefined;
  private readonly limiter: FailureLimiter;
  private readonly maxFailures: number;

  constructor(
    token: string | undefined,
    private readonly logger: Logger,
    options: TokenAuthOptions = {},
  ) {
    this.digest = token === undefined ? undefined : sha256(token);
    this.maxFailures = options.maxFailures ?? 10;
    this.limiter = new FailureLimiter({ maxFailures: this.maxFailures, windowMs: options.windowMs ?? 60_000, maxClients: options.maxClients ?? 10_000 });
  }

  get required(): boolean {
    return this.digest !== undefined;
  }

  private matches(candidate: string): boolean {
    return this.digest !== undefined && crypto.timingSafeEqual(sha256(candidate), this.digest);
  }

  /** Checks a presented token (undefined: none presented) for a client address, counting failures. */
  verify(candidate: string | undefined, client: string, where: string): Verdict {
    if (!this.digest) return { ok: true };
    const waitMs = this.limiter.retryAfterMs(client);
    if (waitMs > 0) return { ok: false, status: 429, message: 'Too many failed access-token attempts from this address: try again later.', retryAfterS: Math.ceil(waitMs / 1000) };
    if (candidate === undefined) return { ok: false, status: 401, message: 'This server needs an access token: log in in the web app, or send "Authorization: Bearer <token>".' };
    if (this.matches(candidate)) return { ok: true };
    const failures = this.limiter.fail(client);
    this.logger.warn({ client, path: where, failures, limit: this.maxFailures }, 'wrong access token');
    if (failures === this.maxFailures) this.logger.warn({ client }, 'too many wrong access tokens: refusing this address for the rest of the window');
    return { ok: false, status: 401, message: 'Wrong access token.' };
  }

  /** Guards a route: 401/429 unless the request carries the token (header or cookie). `graphql`: answer in GraphQL's error shape. */
  require(shape: 'graphql' | 'plain'): RequestHandler {
    return (req, res, next) => {
      const verdict = this.verify(presentedToken(req), clientAddress(req), req.originalUrl.split('?')[0] ?? '');
      if (verdict.ok) return next();
      refuse(res, verdict, shape);
    };
  }

  /** POST /auth/login {token} sets the cookie; POST /auth/logout clears it; GET /auth/session says what is needed. */
  routes(): Router {
    const router = Router();
    router.get(AUTH_PATHS.session, (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const candidate = presentedToken(req);
      if (!this.required || candidate === undefined) return void res.json({ required: this.required, authenticated: !this.required });
      // A token presented here is an attempt like any other: counted, and refused while the address is limited.
      const verdict = this.verify(candidate, clientAddress(req), req.path);
      if (!verdict.ok && verdict.status === 429) return refuse(res, verdict, 'plain');
      res.json({ required: true, authenticated: verdict.ok });
    });
    router.post(AUTH_PATHS.login, express.json({ limit: '4kb' }), (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      // JSON only: a cross-site form cannot send it without a CORS preflight, which is refused.
      if (!req.is('application/json')) return void res.status(415).json({ error: 'Send {"token": "..."} as application/json.' });
      const token = (req.body as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || token.trim() === '') return void res.status(400).json({ error: 'Send {"token": "..."}: the access token is missing.' });
      if (!this.required) return void res.status(400).json({ error: 'This server needs no access token.' });
      const verdict = this.verify(token.trim(), clientAddress(req), req.path);
      if (!verdict.ok) return refuse(res, verdict, 'plain');
      const secure = req.secure ? '; Secure' : '';
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token.trim())}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_S}${secure}`);
      res.status(204).end();
    });
    router.post(AUTH_PATHS.logout, (_req, res) => {
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      res.status(204).end();
    });
    return router;
  }
}

function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function refuse(res: Response, verdict: Extract<Verdict, { ok: false }>, shape: 'graphql' | 'plain'): void {
  if (verdict.retryAfterS !== undefined) res.setHeader('Retry-After', String(verdict.retryAfterS));
  if (verdict.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="sis"');
  res.setHeader('Cache-Control', 'no-store');
  const code = verdict.status === 429 ? 'RATE_LIMITED' : UNAUTHENTICATED;
  if (shape === 'graphql') res.status(verdict.status).json({ errors: [{ message: verdict.message, extensions: { code } }] });
  else res.status(verdict.status).json({ error: verdict.message, code });
}
