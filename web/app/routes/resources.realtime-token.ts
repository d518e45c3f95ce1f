import type { Route } from './+types/resources.realtime-token';
import { portalEnv } from '../lib/env.server.ts';
import { jsonError, sessionForResource } from '../lib/resource.server.ts';

/**
 * Hands the page a fresh access token for the WebSocket (browsers cannot set headers on a socket,
 * so the API takes it as ?token=). Same-origin scripts only; never cached.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const site = request.headers.get('Sec-Fetch-Site');
  if (site && site !== 'same-origin') return jsonError(403, 'FORBIDDEN', 'Cross-site request refused');
  const session = await sessionForResource({ context });
  if (!session) return jsonError(401, 'UNAUTHORIZED', 'Sign in again');
  return Response.json(
    { token: session.tokens.accessToken, wsUrl: portalEnv().WS_URL, expiresAt: session.tokens.expiresAt },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
