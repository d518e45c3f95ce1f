import { data, type MiddlewareFunction } from 'react-router';
import { sessionContext } from './context.ts';
import { allowedOriginsFor, checkCsrf } from './csrf.server.ts';
import { portalEnv } from './env.server.ts';
import { SessionHandle, cookieOptionsFor } from './session.server.ts';

/**
 * Root middleware for every request (pages, actions, resource routes): refuses cross-site
 * state-changing requests, opens the cookie session and writes it back when it changed.
 */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const env = portalEnv();
  const verdict = checkCsrf(request, allowedOriginsFor(request, env.PORTAL_URL));
  if (!verdict.ok) {
    throw data({ message: 'This request was refused because it did not come from Clipforge (CSRF protection).' }, { status: 403 });
  }
  const handle = SessionHandle.fromRequest(request, cookieOptionsFor(env));
  context.set(sessionContext, handle);
  const response = await next();
  if (handle.dirty) {
    for (const cookie of handle.setCookieHeaders()) response.headers.append('Set-Cookie', cookie);
    response.headers.set('Cache-Control', 'private, no-store');
  }
  return response;
};
