import { describe, expect, test } from '@jest/globals';
import { act, createElement, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { SessionManager, memoryTokenStorage } from '../../../lib/auth-client/index.ts';
import { SessionProvider, useRequireRole, useSession, useUser } from '../../../lib/auth-client/react.tsx';
import { fakeTokens } from './helpers.ts';

function Probe() {
  const { status } = useSession();
  const user = useUser();
  const admin = useRequireRole('admin');
  return createElement('p', null, `${status}|${user?.email ?? '-'}|${admin.status}`);
}

const wrap = (props: { user?: { sub: string; email: string; groups: string[] } | null; manager?: SessionManager }, child: ReactNode) =>
  createElement(SessionProvider, { ...props, children: child });

describe('React bindings (server rendering, no browser)', () => {
  test('with a server-provided user', () => {
    expect(renderToString(wrap({ user: { sub: 's', email: 'ada@example.com', groups: ['admin'] } }, createElement(Probe)))).toContain('authenticated|ada@example.com|allowed');
    expect(renderToString(wrap({ user: { sub: 's', email: 'bob@example.com', groups: [] } }, createElement(Probe)))).toContain('authenticated|bob@example.com|denied');
    expect(renderToString(wrap({ user: null }, createElement(Probe)))).toContain('unauthenticated|-|denied');
  });

  test('with a manager the first render is loading', () => {
    const manager = new SessionManager({ storage: memoryTokenStorage(fakeTokens({ expiresAt: Date.now() + 3_600_000 })), client: { refresh: async () => { throw new Error('no'); }, revokeToken: async () => {} } });
    expect(renderToString(wrap({ manager }, createElement(Probe)))).toContain('loading|-|loading');
  });

  test('hooks outside the provider fail loudly', () => {
    expect(() => renderToString(createElement(Probe))).toThrow(/SessionProvider/);
    expect(typeof act).toBe('function');
  });
});
