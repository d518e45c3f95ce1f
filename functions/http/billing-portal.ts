import { route, json } from '../../lib/http/http.ts';
import { createPortalSession } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /billing/portal → {url} of a Stripe billing portal session. */
export const handler = route({ use: [meter()] }, async ({ user }) => json(200, await createPortalSession(user.sub, await billingDeps())));
