import type { Tokens, TokenStorage } from '../../lib/auth-client/types.ts';
import type { StorageAreaPort } from './ports.ts';

/**
 * Where the extension keeps its Cognito tokens: `storage.session`, and only there.
 *
 * - storage.session lives in memory, is never written to disk, and is cleared when the browser
 *   closes; it survives service-worker restarts, which is what the background needs.
 * - Access level TRUSTED_CONTEXTS: content scripts (which run inside web pages) cannot read it.
 * - The refresh token lives next to the access and ID tokens, in storage.session too. The cost is
 *   one sign-in per browser session; the gain is that no long-lived credential is ever persisted to
 *   the profile on disk (storage.local is readable by anything that can read the profile).
 * - storage.local holds only non-secret preferences (clip options); see PREFS_KEY.
 */
export const TOKENS_KEY = 'cf.tokens';
export const PENDING_MFA_KEY = 'cf.mfa';
export const EXPIRED_KEY = 'cf.expired';
export const PREFS_KEY = 'cf.prefs';

function isTokens(v: unknown): v is Tokens {
  if (!v || typeof v !== 'object') return false;
  const t = v as Record<string, unknown>;
  return (
    typeof t.accessToken === 'string' &&
    typeof t.idToken === 'string' &&
    typeof t.refreshToken === 'string' &&
    typeof t.expiresAt === 'number'
  );
}

/** Restricts storage.session to extension pages and the background (Chrome); a no-op where absent. */
export async function restrictSessionStorage(session: StorageAreaPort): Promise<boolean> {
  if (typeof session.setAccessLevel !== 'function') return false;
  await session.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
  return true;
}

/** The extension's TokenStorage for the shared auth module. */
export function sessionTokenStorage(session: StorageAreaPort): TokenStorage {
  return {
    async get() {
      const got = await session.get(TOKENS_KEY);
      const value = got[TOKENS_KEY];
      return isTokens(value) ? value : null;
    },
    async set(tokens: Tokens) {
      await session.set({ [TOKENS_KEY]: tokens });
    },
    async clear() {
      await session.remove(TOKENS_KEY);
    },
  };
}

export interface PendingMfa {
  email: string;
  session: string;
  expiresAt: number;
}

/** The in-progress TOTP challenge (Cognito's session string), kept in the background's storage. */
export function pendingMfaStore(session: StorageAreaPort, now: () => number = Date.now) {
  return {
    async get(): Promise<PendingMfa | null> {
      const value = (await session.get(PENDING_MFA_KEY))[PENDING_MFA_KEY] as PendingMfa | undefined;
      if (!value || typeof value.session !== 'string' || typeof value.email !== 'string') return null;
      if (value.expiresAt <= now()) {
        await session.remove(PENDING_MFA_KEY);
        return null;
      }
      return value;
    },
    async set(email: string, challengeSession: string): Promise<void> {
      // Cognito challenge sessions are good for 3 minutes.
      await session.set({ [PENDING_MFA_KEY]: { email, session: challengeSession, expiresAt: now() + 3 * 60_000 } });
    },
    async clear(): Promise<void> {
      await session.remove(PENDING_MFA_KEY);
    },
  };
}
