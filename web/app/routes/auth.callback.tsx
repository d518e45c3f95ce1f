import { redirect } from 'react-router';
import type { Route } from './+types/auth.callback';
import { exchangeCode } from '../../../lib/auth-client/index.ts';
import { completeSignIn, sessionOf } from '../lib/auth.server.ts';
import { portalEnv } from '../lib/env.server.ts';

/** Hosted-UI redirect target: checks the state, exchanges the code with the PKCE verifier. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const env = portalEnv();
  const url = new URL(request.url);
  const handle = sessionOf(context);
  const pending = handle.get('pkce');
  handle.unset('pkce');
  const code = url.searchParams.get('code');
  const state = url.searchParams.get('state');
  const fail = (message: string) => {
    handle.flash('error', message);
    return redirect('/signin');
  };
  if (url.searchParams.get('error')) return fail('Sign-in with that provider was cancelled or refused.');
  if (!pending || !code || !state || state !== pending.state || Date.now() - pending.at > 10 * 60_000 || !env.auth.hostedUiDomain) {
    return fail('That sign-in link is no longer valid. Please try again.');
  }
  const origin = env.PORTAL_URL ? new URL(env.PORTAL_URL).origin : url.origin;
  try {
    const tokens = await exchangeCode({ domain: env.auth.hostedUiDomain, clientId: env.auth.clientId, redirectUri: `${origin}/auth/callback`, code, verifier: pending.verifier });
    completeSignIn(handle, tokens);
  } catch {
    return fail('We could not complete the sign-in. Please try again.');
  }
  return redirect(pending.redirectTo);
}
