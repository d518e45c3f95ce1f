import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { SessionManager } from './session.ts';
import type { Role, Session, User } from './types.ts';

/**
 * React bindings. Two ways to feed the provider:
 * - `manager`: a SessionManager that owns tokens in this JS context (extension, SPA);
 * - `user`: a user already resolved elsewhere (the portal's server puts it in loader data; the
 *   browser never sees the tokens).
 */
export type SessionStatus = 'loading' | 'authenticated' | 'unauthenticated';

export interface SessionContextValue {
  status: SessionStatus;
  user: User | null;
  /** Only with a manager (token-holding clients). */
  session: Session | null;
  /** True once the session ended because the refresh token was rejected. */
  expired: boolean;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider(props: {
  manager?: SessionManager;
  user?: User | null;
  onSignOut?: () => Promise<void> | void;
  children: ReactNode;
}) {
  const { manager, user: staticUser, onSignOut, children } = props;
  const [session, setSession] = useState<Session | null>(null);
  const [status, setStatus] = useState<SessionStatus>(manager ? 'loading' : staticUser ? 'authenticated' : 'unauthenticated');
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    if (!manager) {
      setStatus(staticUser ? 'authenticated' : 'unauthenticated');
      return;
    }
    let active = true;
    const off = manager.on((event) => {
      if (!active) return;
      if (event.type === 'signed-in' || event.type === 'refreshed') {
        setSession(event.session);
        setStatus('authenticated');
        setExpired(false);
      } else {
        setSession(null);
        setStatus('unauthenticated');
        setExpired(event.type === 'expired');
      }
    });
    manager
      .getSession()
      .then((s) => {
        if (!active) return;
        setSession(s);
        setStatus(s ? 'authenticated' : 'unauthenticated');
      })
      .catch(() => active && setStatus('unauthenticated'));
    void manager.startAutoRefresh();
    return () => {
      active = false;
      off();
      manager.stopAutoRefresh();
    };
  }, [manager, staticUser]);

  const value = useMemo<SessionContextValue>(() => {
    const user = manager ? (session?.user ?? null) : (staticUser ?? null);
    return {
      status,
      user,
      session,
      expired,
      signOut: async () => {
        if (manager) await manager.signOut();
        await onSignOut?.();
      },
    };
  }, [manager, session, staticUser, status, expired, onSignOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession must be used inside <SessionProvider>');
  return ctx;
}

export function useUser(): User | null {
  return useSession().user;
}

export function hasRole(user: User | null | undefined, role: Role): boolean {
  return !!user && user.groups.includes(role);
}

/**
 * Whether the current user has `role`. UI gate only: the server refuses the data regardless.
 * `denied` when signed out or lacking the role; `loading` until a manager has answered.
 */
export function useRequireRole(role: Role): { status: 'loading' | 'allowed' | 'denied'; user: User | null } {
  const { status, user } = useSession();
  if (status === 'loading') return { status: 'loading', user };
  return { status: hasRole(user, role) ? 'allowed' : 'denied', user };
}
