import Stripe from 'stripe';
import { config, isLocalStage, type Config } from '../config/index.ts';
import { UnavailableError } from '../http/errors.ts';

/**
 * The official Stripe SDK. With STRIPE_API_BASE (local stage only) it talks to the local test
 * double over host/port/protocol; otherwise to api.stripe.com with the stage's secret key.
 */
export function createStripe(c: Config = config()): Stripe {
  if (!c.STRIPE_SECRET_KEY) throw new UnavailableError('Billing is not configured on this stage (no STRIPE_SECRET_KEY)');
  if (c.STRIPE_API_BASE) {
    if (!isLocalStage(c)) throw new UnavailableError('STRIPE_API_BASE is only allowed on the local stage');
    const u = new URL(c.STRIPE_API_BASE);
    const protocol = u.protocol === 'https:' ? 'https' : 'http';
    return new Stripe(c.STRIPE_SECRET_KEY, {
      host: u.hostname,
      port: Number(u.port || (protocol === 'https' ? 443 : 80)),
      protocol,
      maxNetworkRetries: 1,
      timeout: 10_000,
    });
  }
  return new Stripe(c.STRIPE_SECRET_KEY, { maxNetworkRetries: 2, timeout: 10_000 });
}

let cached: { key: string; client: Stripe } | undefined;
/** One client per container (per key/base, so tests that change the environment get a fresh one). */
export function stripe(c: Config = config()): Stripe {
  const key = `${c.STRIPE_SECRET_KEY}|${c.STRIPE_API_BASE}`;
  if (!cached || cached.key !== key) cached = { key, client: createStripe(c) };
  return cached.client;
}

export function webhookSecret(c: Config = config()): string {
  if (!c.STRIPE_WEBHOOK_SECRET) throw new UnavailableError('Stripe webhooks are not configured (no STRIPE_WEBHOOK_SECRET)');
  return c.STRIPE_WEBHOOK_SECRET;
}
