import { jest, beforeAll, describe, expect, it } from '@jest/globals';
import { AdminAddUserToGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoTestClient, createTestUser, signIn, type TestUser } from '../../support/users.ts';
import { plansResponseSchema, subscriptionPreviewResponseSchema, subscriptionResponseSchema, usageResponseSchema } from '../../../lib/contracts/billing.ts';
import { TIER_LIMITS, PACK_CREDITS } from '../../../lib/billing/tiers.ts';

// The machine may be loaded: DynamoDB Local transactions and webhook round trips get generous time.
jest.setTimeout(90_000);

/**
 * The billing API end to end through serverless-offline: Checkout in the Stripe double ("Pay"
 * on its page) → signed webhooks to POST /webhooks/stripe → GET /subscription and GET /usage.
 */
const api = () => {
  const url = process.env.API_URL;
  if (!url) throw new Error('API_URL is not set: run under the integration harness');
  return url;
};
const call = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
  const res = await fetch(api() + path, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
};
async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    v = await fn();
  }
  return v;
}
/** Opens the double's checkout page and presses "Pay" (the form post the browser would send). */
async function pay(checkoutUrl: string) {
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  expect(html).toContain('id="pay"');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('no pay form');
  const res = await fetch(new URL(action, checkoutUrl), { method: 'POST', redirect: 'manual' });
  expect(res.status).toBe(303);
}

let user: TestUser;
beforeAll(async () => {
  user = await createTestUser({ prefix: 'billing' });
});

describe('billing API', () => {
  it('GET /plans is public', async () => {
    const r = await call('/plans');
    expect(r.status).toBe(200);
    const plans = plansResponseSchema.parse(r.body);
    expect(plans.plans.find((p) => p.tier === 'basic')?.intervals).toContain('month');
  });

  it('protected routes need a token', async () => {
    expect((await call('/subscription')).status).toBe(401);
    expect((await call('/usage')).status).toBe(401);
  });

  it('a new user is on free with the month’s free credits', async () => {
    const sub = await call('/subscription', { token: user.accessToken });
    expect(sub.status).toBe(200);
    expect(subscriptionResponseSchema.parse(sub.body)).toMatchObject({ tier: 'free', status: 'none', cancelAtPeriodEnd: false });
    const usage = usageResponseSchema.parse((await call('/usage', { token: user.accessToken })).body);
    expect(usage.balance).toBe(TIER_LIMITS.free.monthlyCredits);
    expect(usage.ledger[0]).toMatchObject({ kind: 'grant', amount: TIER_LIMITS.free.monthlyCredits });
  });

  it('bad input → 400 with the error body, never 500', async () => {
    const r = await call('/subscription/checkout', { method: 'POST', token: user.accessToken, body: { tier: 'enterprise' } });
    expect(r.status).toBe(400);
    expect((r.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
    expect((await call('/usage?limit=1000', { token: user.accessToken })).status).toBe(400);
    expect((await call('/usage?cursor=garbage', { token: user.accessToken })).status).toBe(400);
    expect((await call('/subscription/change', { method: 'POST', token: user.accessToken, body: { tier: 'pro' } })).status).toBe(409);
    // A preview needs a paid tier, and a subscription to change.
    const badTier = await call('/subscription/preview?tier=enterprise', { token: user.accessToken });
    expect(badTier).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect((await call('/subscription/preview', { token: user.accessToken })).status).toBe(400);
    expect((await call('/subscription/preview?tier=pro&interval=week', { token: user.accessToken })).status).toBe(400);
    const noSub = await call('/subscription/preview?tier=pro', { token: user.accessToken });
    expect(noSub).toMatchObject({ status: 409, body: { error: { code: 'NO_SUBSCRIPTION' } } });
    expect((await call('/subscription/preview?tier=pro')).status).toBe(401);
    const hook = await fetch(api() + '/webhooks/stripe', { method: 'POST', body: '{"id":"evt_x"}', headers: { 'stripe-signature': 't=1,v1=bad' } });
    expect(hook.status).toBe(400);
  });

  it('subscribe through Checkout → webhooks → basic with its credits; then upgrade to pro', async () => {
    const r = await call('/subscription/checkout', { method: 'POST', token: user.accessToken, body: { tier: 'basic', interval: 'month' } });
    expect(r.status).toBe(200);
    await pay(String(r.body.url));
    const sub = await waitFor(
      () => call('/subscription', { token: user.accessToken }),
      (s) => s.body.tier === 'basic',
    );
    expect(sub.body).toMatchObject({ tier: 'basic', status: 'active', interval: 'month' });
    const usage = await waitFor(
      () => call('/usage', { token: user.accessToken }),
      (u) => u.body.balance === TIER_LIMITS.basic.monthlyCredits,
    );
    expect(usage.body.balance).toBe(TIER_LIMITS.basic.monthlyCredits);
    expect((await call('/subscription/checkout', { method: 'POST', token: user.accessToken, body: { tier: 'pro' } })).status).toBe(409);

    // Preview the upgrade: Stripe's preview invoice (the double prorates like Stripe) — nothing changes.
    const previewed = await call('/subscription/preview?tier=pro&interval=month', { token: user.accessToken });
    expect(previewed.status).toBe(200);
    const preview = subscriptionPreviewResponseSchema.parse(previewed.body);
    expect(preview).toMatchObject({ currentTier: 'basic', tier: 'pro', interval: 'month', effective: 'now', currency: 'usd', nextPaymentAmount: 3900 });
    const prorations = preview.lines.filter((l) => l.proration);
    expect(prorations).toHaveLength(2);
    expect(prorations[0]?.amount).toBeLessThan(0); // unused time on basic, credited
    expect(prorations[1]?.amount).toBeGreaterThan(0); // the rest of the period on pro
    expect(preview.prorationAmount).toBe(prorations.reduce((s, l) => s + l.amount, 0));
    expect(preview.amountDue).toBe(preview.prorationAmount);
    expect(preview.amountDue).toBeGreaterThan(0);
    expect(preview.amountDue).toBeLessThanOrEqual(3900 - 1200);
    expect(preview.prorationDate).toEqual(expect.any(Number));
    expect(Date.parse(preview.nextPaymentAt)).toBeGreaterThan(Date.now());
    expect((await call('/subscription', { token: user.accessToken })).body).toMatchObject({ tier: 'basic' });
    expect((await call('/subscription/preview?tier=basic', { token: user.accessToken })).body).toMatchObject({ error: { code: 'SAME_TIER' } });
    expect((await call('/subscription/preview?tier=pro&interval=year', { token: user.accessToken })).body).toMatchObject({ error: { code: 'INTERVAL_CHANGE_UNSUPPORTED' } });

    const change = await call('/subscription/change', { method: 'POST', token: user.accessToken, body: { tier: 'pro', prorationDate: preview.prorationDate } });
    expect(change).toMatchObject({ status: 200, body: { tier: 'pro', effective: 'now' } });
    if (process.env.STRIPE_API_BASE) {
      // Charged what was previewed (same proration date): the double's upgrade invoice.
      const events = (await (await fetch(`${process.env.STRIPE_API_BASE}/_double/events`)).json()) as { data: { type: string; data: { object: { billing_reason?: string; amount_paid?: number } } }[] };
      const upgradeInvoice = events.data.filter((e) => e.type === 'invoice.paid' && e.data.object.billing_reason === 'subscription_update').at(-1);
      expect(upgradeInvoice?.data.object.amount_paid).toBe(preview.amountDue);
    }

    // A downgrade preview: nothing now, the next invoice on basic.
    const down = subscriptionPreviewResponseSchema.parse((await call('/subscription/preview?tier=basic', { token: user.accessToken })).body);
    expect(down).toMatchObject({ currentTier: 'pro', tier: 'basic', effective: 'period_end', amountDue: 0, prorationAmount: 0, prorationDate: null, nextPaymentAmount: 1200 });
    const after = await waitFor(
      () => call('/usage', { token: user.accessToken }),
      (u) => u.body.balance === TIER_LIMITS.pro.monthlyCredits,
    );
    expect(after.body.balance).toBe(TIER_LIMITS.pro.monthlyCredits);

    const portal = await call('/billing/portal', { method: 'POST', token: user.accessToken });
    expect(portal.status).toBe(200);
    expect(String(portal.body.url)).toMatch(/\/portal\/bps_/);
  });

  it('buy a credit pack through Checkout', async () => {
    const before = Number((await call('/usage', { token: user.accessToken })).body.balance);
    const r = await call('/credits/checkout', { method: 'POST', token: user.accessToken, body: { pack: 'small' } });
    expect(r.status).toBe(200);
    await pay(String(r.body.url));
    const usage = await waitFor(
      () => call('/usage', { token: user.accessToken }),
      (u) => u.body.balance === before + PACK_CREDITS.small,
    );
    expect(usage.body.balance).toBe(before + PACK_CREDITS.small);
  });

  it('admin routes refuse regular users', async () => {
    expect((await call('/admin/usage', { token: user.accessToken })).status).toBe(403);
    expect((await call(`/admin/accounts/${user.sub}/limits`, { method: 'PUT', token: user.accessToken, body: { limits: { concurrentJobs: 50 } } })).status).toBe(403);
  });

  it('an admin puts an account on enterprise with limit overrides, and sees usage', async () => {
    const admin = await createTestUser({ prefix: 'billing-admin' });
    await cognitoTestClient().send(new AdminAddUserToGroupCommand({ UserPoolId: process.env.USER_POOL_ID, Username: admin.email, GroupName: 'admin' }));
    const token = (await signIn(admin.email, admin.password)).accessToken; // group claims are minted at sign-in
    const target = await createTestUser({ prefix: 'billing-enterprise' });

    const first = await call(`/admin/accounts/${target.sub}/limits`, { method: 'PUT', token, body: { limits: { concurrentJobs: 50 } } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ userId: target.sub, tier: 'enterprise', limits: { concurrentJobs: 50 } });
    // A second write replaces the override map as a whole.
    const second = await call(`/admin/accounts/${target.sub}/limits`, { method: 'PUT', token, body: { limits: { maxSourceSeconds: 10 * 3600 } } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ tier: 'enterprise', limits: { maxSourceSeconds: 36_000, concurrentJobs: TIER_LIMITS.enterprise.concurrentJobs } });
    expect((await call('/subscription', { token: target.accessToken })).body).toMatchObject({ tier: 'enterprise' });

    expect((await call(`/admin/accounts/bad%20id/limits`, { method: 'PUT', token, body: { limits: { concurrentJobs: 5 } } })).status).toBe(400);
    const usage = await call('/admin/usage', { token });
    expect(usage.status).toBe(200);
  });
});
