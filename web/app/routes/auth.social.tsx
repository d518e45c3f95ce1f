import { data, redirect } from 'react-router';
import type { Route } from './+types/auth.social';
import { SOCIAL_PROVIDERS, authorizeUrl, createPkcePair, type SocialProvider } from '../../../lib/auth-client/index.ts';
import { safeRedirectTo, sessionOf } from '../lib/auth.server.ts';
import { portalEnv } from '../lib/env.server.ts';

/** Starts a hosted-UI sign-in with Google/Facebook: authorization code + PKCE (S256). */
export async function loader({ request, params, context }: Route.LoaderArgs) {
  const env = portalEnv();
  const provider = SOCIAL_PROVIDERS.find((p) => p === params.provider) as SocialProvider | undefined;
  if (!provider || !env.auth.hostedUiDomain || !env.auth.socialProviders.includes(provider)) {
    throw data({ message: 'That sign-in provider is not available.' }, { status: 404 });
  }
  const url = new URL(request.url);
  const pkce = await createPkcePair();
  sessionOf(context).set('pkce', { verifier: pkce.verifier, state: pkce.state, redirectTo: safeRedirectTo(url.searchParams.get('redirectTo')), at: Date.now() });
  const origin = env.PORTAL_URL ? new URL(env.PORTAL_URL).origin : url.origin;
  return redirect(authorizeUrl({ domain: env.auth.hostedUiDomain, clientId: env.auth.clientId, redirectUri: `${origin}/auth/callback`, challenge: pkce.challenge, state: pkce.state, provider }));
}
