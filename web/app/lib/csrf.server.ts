/**
 * CSRF protection for every state-changing request (actions, resource-route POSTs): the request
 * must come from our own origin, judged by Sec-Fetch-Site (sent by every current browser) and the
 * Origin header. A request carrying neither is refused too: browsers always send one on POST.
 */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

export function checkCsrf(request: Request, allowedOrigins: readonly string[]): CsrfVerdict {
  if (SAFE.has(request.method.toUpperCase())) return { ok: true };
  const site = request.headers.get('Sec-Fetch-Site');
  if (site && site !== 'same-origin') return { ok: false, reason: `cross-site request (Sec-Fetch-Site: ${site})` };
  const origin = request.headers.get('Origin');
  if (origin) {
    if (origin === 'null' || !allowedOrigins.includes(origin)) return { ok: false, reason: `origin ${origin} is not allowed` };
    return { ok: true };
  }
  if (site === 'same-origin') return { ok: true };
  return { ok: false, reason: 'no Origin or Sec-Fetch-Site header' };
}

/** The origins we accept: the request's own and the configured public portal URL. */
export function allowedOriginsFor(request: Request, portalUrl?: string): string[] {
  const origins = [new URL(request.url).origin];
  if (portalUrl) origins.push(new URL(portalUrl).origin);
  return origins;
}
