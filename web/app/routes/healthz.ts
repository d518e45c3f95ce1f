/** Liveness of the portal process (load balancers, the e2e harness). */
export const loader = () => Response.json({ ok: true }, { headers: { 'Cache-Control': 'no-store' } });
