import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The portal's session: an AES-256-GCM encrypted, httpOnly, SameSite=Lax cookie (named
 * `__Host-cf_session` with Secure on deployed stages). Cognito tokens are larger than one cookie
 * allows, so the sealed value is split over numbered chunks (`name`, `name.1`, …).
 */
export const tokensSchema = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string(),
  expiresAt: z.number(),
});

export const sessionDataSchema = z.object({
  tokens: tokensSchema.optional(),
  /** Pending TOTP challenge of a sign-in. */
  mfa: z.object({ email: z.string(), session: z.string(), redirectTo: z.string(), at: z.number() }).optional(),
  /** Pending hosted-UI sign-in (PKCE). */
  pkce: z.object({ verifier: z.string(), state: z.string(), redirectTo: z.string(), at: z.number() }).optional(),
  /** Email of a sign-up or reset in progress (pre-fills the next form). */
  pendingEmail: z.string().optional(),
  /** TOTP enrolment in progress (shown until verified). */
  totp: z.object({ secretCode: z.string(), otpauthUri: z.string() }).optional(),
  flash: z.object({ kind: z.enum(['success', 'error', 'info']), message: z.string() }).optional(),
});
export type SessionData = z.infer<typeof sessionDataSchema>;

const CHUNK = 3800;
const MAX_CHUNKS = 5;
const MAX_AGE_SECONDS = 30 * 24 * 3600;

export interface CookieOptions {
  name: string;
  secure: boolean;
  secret: string;
}

export function cookieOptionsFor(env: { isLocal: boolean; SESSION_SECRET: string }): CookieOptions {
  return env.isLocal
    ? { name: 'cf_session', secure: false, secret: env.SESSION_SECRET }
    : { name: '__Host-cf_session', secure: true, secret: env.SESSION_SECRET };
}

function keyOf(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'clipforge-portal-session', 'aes-256-gcm v1', 32));
}

export function seal(data: SessionData, secret: string, now = Date.now()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const plain = Buffer.from(JSON.stringify({ d: data, exp: now + MAX_AGE_SECONDS * 1000 }));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function unseal(value: string, secret: string, now = Date.now()): SessionData | null {
  try {
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 30 || raw[0] !== 1) return null;
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(1, 13));
    decipher.setAuthTag(raw.subarray(13, 29));
    const plain = Buffer.concat([decipher.update(raw.subarray(29)), decipher.final()]).toString('utf8');
    const parsed = z.object({ d: sessionDataSchema, exp: z.number() }).safeParse(JSON.parse(plain));
    if (!parsed.success || parsed.data.exp < now) return null;
    return parsed.data.d;
  } catch {
    return null;
  }
}

export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !out.has(k)) out.set(k, part.slice(i + 1).trim());
  }
  return out;
}

function chunkName(name: string, i: number): string {
  return i === 0 ? name : `${name}.${i}`;
}

/** A request's session: read once, changed in memory, written back as Set-Cookie headers. */
export class SessionHandle {
  #data: SessionData;
  #dirty = false;
  readonly #opts: CookieOptions;
  readonly #chunksIn: number;

  constructor(data: SessionData, opts: CookieOptions, chunksIn: number) {
    this.#data = data;
    this.#opts = opts;
    this.#chunksIn = chunksIn;
  }

  static fromRequest(request: Request, opts: CookieOptions): SessionHandle {
    const cookies = parseCookies(request.headers.get('Cookie'));
    const parts: string[] = [];
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const v = cookies.get(chunkName(opts.name, i));
      if (v === undefined) break;
      parts.push(v);
    }
    const data = parts.length ? unseal(parts.join(''), opts.secret) : null;
    const handle = new SessionHandle(data ?? {}, opts, parts.length);
    if (parts.length && !data) handle.#dirty = true; // tampered or expired: clear it
    return handle;
  }

  get<K extends keyof SessionData>(key: K): SessionData[K] {
    return this.#data[key];
  }

  set<K extends keyof SessionData>(key: K, value: SessionData[K]): void {
    this.#data = { ...this.#data, [key]: value };
    this.#dirty = true;
  }

  unset(key: keyof SessionData): void {
    if (!(key in this.#data)) return;
    const next = { ...this.#data };
    delete next[key];
    this.#data = next;
    this.#dirty = true;
  }

  /** Forget everything (sign-out, expired session). */
  destroy(): void {
    this.#data = {};
    this.#dirty = true;
  }

  flash(kind: 'success' | 'error' | 'info', message: string): void {
    this.set('flash', { kind, message });
  }

  takeFlash(): SessionData['flash'] {
    const f = this.#data.flash;
    if (f) this.unset('flash');
    return f;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  /** Set-Cookie values writing the session back (and clearing chunks no longer used). */
  setCookieHeaders(): string[] {
    const { name, secure, secret } = this.#opts;
    const attrs = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
    const empty = Object.keys(this.#data).length === 0;
    const sealed = empty ? '' : seal(this.#data, secret);
    const chunks: string[] = [];
    for (let i = 0; i < sealed.length; i += CHUNK) chunks.push(sealed.slice(i, i + CHUNK));
    if (chunks.length > MAX_CHUNKS) throw new Error('Session too large');
    const headers = chunks.map((c, i) => `${chunkName(name, i)}=${c}; ${attrs}; Max-Age=${MAX_AGE_SECONDS}`);
    for (let i = chunks.length; i < Math.max(this.#chunksIn, empty ? 1 : 0); i++) {
      headers.push(`${chunkName(name, i)}=; ${attrs}; Max-Age=0`);
    }
    return headers;
  }
}
