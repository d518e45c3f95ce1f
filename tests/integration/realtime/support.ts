import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { serverMessageSchema, type ServerMessage } from '../../../lib/contracts/realtime.ts';

/**
 * A test WebSocket client on Node's global WebSocket. A refused upgrade fires `error` and never
 * `close`, so opening resolves on `open` and rejects on `error`.
 */
export interface TestSocket {
  messages: ServerMessage[];
  send(body: unknown): void;
  /** Resolves once `predicate(messages)` holds (checked on every frame), or rejects after `ms`. */
  until(predicate: (messages: ServerMessage[]) => boolean, ms?: number, what?: string): Promise<ServerMessage[]>;
  close(): Promise<void>;
  /** True once the socket closed (by either side). */
  isClosed(): boolean;
}

export function wsUrl(token?: string): string {
  const base = process.env.WS_URL;
  if (!base) throw new Error('WS_URL is not set (run under the integration harness)');
  return token === undefined ? base : `${base}?token=${encodeURIComponent(token)}`;
}

export function openSocket(token: string | undefined, timeoutMs = 10_000): Promise<TestSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(wsUrl(token));
    const messages: ServerMessage[] = [];
    const waiters = new Set<() => void>();
    let closed = false;
    const timer = setTimeout(() => {
      ws.close();
      fail(new Error(`WebSocket did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onmessage = (e) => {
      messages.push(serverMessageSchema.parse(JSON.parse(String(e.data))));
      for (const w of waiters) w();
    };
    ws.onerror = () => {
      clearTimeout(timer);
      fail(new Error('WebSocket refused'));
    };
    ws.onclose = () => {
      closed = true;
      for (const w of waiters) w();
    };
    ws.onopen = () => {
      clearTimeout(timer);
      ok({
        messages,
        isClosed: () => closed,
        send: (body) => ws.send(JSON.stringify(body)),
        until: (predicate, ms = 15_000, what = 'messages') =>
          new Promise((done, timeout) => {
            const check = () => {
              if (predicate(messages)) {
                cleanup();
                done(messages);
              } else if (closed) {
                cleanup();
                timeout(new Error(`socket closed while waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.type))}`));
              }
            };
            const t = setTimeout(() => {
              cleanup();
              timeout(new Error(`timed out after ${ms} ms waiting for ${what}; got ${messages.length} message(s)`));
            }, ms);
            const cleanup = () => {
              clearTimeout(t);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          }),
        close: () =>
          new Promise((done) => {
            if (closed || ws.readyState === WebSocket.CLOSED) return done();
            ws.addEventListener('close', () => done(), { once: true });
            ws.close();
          }),
      });
    };
  });
}

/** The raw HTTP status of an upgrade request to the WebSocket API (101 accepted, 401 refused...). */
export function upgradeStatus(token: string | undefined): Promise<number> {
  const url = new URL(wsUrl(token).replace(/^ws/, 'http'));
  return new Promise((ok, fail) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      ok(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

function signRs256(key: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(payload));
  return `${head}.${body}.${b64url(sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key))}`;
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * The same claims as `accessToken`, expired an hour ago, signed with cognito-local's own key (it
 * ships in the package): a genuine signature, so only the expiry can refuse it.
 */
export function expiredCopy(accessToken: string): string {
  const pem = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../node_modules/cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')) as { pem: string }).pem;
  const now = Math.floor(Date.now() / 1000);
  return signRs256(createPrivateKey(pem), 'CognitoLocal', { ...claimsOf(accessToken), iat: now - 7200, auth_time: now - 7200, exp: now - 3600 });
}

/** The same claims signed with an attacker's key under cognito-local's kid. */
export function forgedCopy(accessToken: string, changes: Record<string, unknown> = {}): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signRs256(privateKey, 'CognitoLocal', { ...claimsOf(accessToken), ...changes });
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not hold within ${ms} ms`);
}
