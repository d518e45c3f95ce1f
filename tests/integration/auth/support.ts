import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Helpers for the identity integration tests (local stack from tests/support/global-setup.ts). */

export const api = (path: string) => `${process.env.API_URL}${path}`;

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(api(path), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

interface PoolFile {
  Users: Record<string, { Attributes?: { Name: string; Value: string }[]; ConfirmationCode?: string }>;
}

/**
 * The latest confirmation / reset code cognito-local stored for this email
 * (`${COGNITO_DATA_DIR}/db/${USER_POOL_ID}.json`, Users[..].ConfirmationCode).
 */
export async function codeFor(email: string, notEqualTo?: string): Promise<string> {
  const file = join(process.env.COGNITO_DATA_DIR ?? '', 'db', `${process.env.USER_POOL_ID}.json`);
  for (let i = 0; i < 50; i++) {
    try {
      const pool = JSON.parse(readFileSync(file, 'utf8')) as PoolFile;
      const user = Object.values(pool.Users).find((u) => u.Attributes?.some((a) => a.Name === 'email' && a.Value === email));
      if (user?.ConfirmationCode && user.ConfirmationCode !== notEqualTo) return user.ConfirmationCode;
    } catch {
      /* being rewritten; retry */
    }
    await sleep(100);
  }
  throw new Error(`no confirmation code for ${email} in ${file}`);
}

/** A wrong 6-digit code, different from the real one. */
export const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
