import { redirect } from 'react-router';
import { z } from 'zod';
import {
  creditsCheckoutBody,
  paidTierSchema,
  plansResponseSchema,
  subscriptionChangeBody,
  subscriptionChangeResponseSchema,
  subscriptionCheckoutBody,
  subscriptionPreviewResponseSchema,
  subscriptionResponseSchema,
  tierSchema,
  urlResponseSchema,
  usageResponseSchema,
} from '../../../lib/contracts/billing.ts';
import { api, ApiError, publicApi, settle } from '../lib/api.server.ts';
import { requireUser, sessionOf, type Args } from '../lib/auth.server.ts';
import { fillDaily, previewChange } from '../lib/billing.ts';
import type { ActionResult } from '../lib/forms.server.ts';
import { data } from 'react-router';

export async function billingLoader(args: Args) {
  await requireUser(args);
  const url = new URL(args.request.url);
  const cursor = url.searchParams.get('cursor') ?? undefined;
  const [plans, subscription, usage] = await Promise.all([
    settle(publicApi('GET', '/plans', plansResponseSchema)),
    settle(api(args, 'GET', '/subscription', subscriptionResponseSchema)),
    settle(api(args, 'GET', '/usage', usageResponseSchema, { query: { limit: 25, cursor } })),
  ]);
  const change = tierSchema.safeParse(url.searchParams.get('change'));
  let preview = null;
  // The amounts: Stripe's preview invoice through the API (an error result when it cannot be priced).
  let priced = null;
  if (change.success && plans.ok && subscription.ok && subscription.value.status !== 'none' && subscription.value.tier !== change.data) {
    const creditsOf = (t: string) => plans.value.plans.find((p) => p.tier === t)?.limits.monthlyCredits ?? 0;
    preview = previewChange({
      from: subscription.value.tier,
      to: change.data,
      currentPeriodEnd: subscription.value.currentPeriodEnd,
      interval: subscription.value.interval,
      creditsFrom: creditsOf(subscription.value.tier),
      creditsTo: creditsOf(change.data),
    });
    const tier = paidTierSchema.safeParse(change.data);
    if (tier.success) priced = await settle(api(args, 'GET', '/subscription/preview', subscriptionPreviewResponseSchema, { query: { tier: tier.data } }));
  }
  const checkout = url.searchParams.get('checkout') ?? url.searchParams.get('credits');
  const kind = url.searchParams.has('credits') ? 'credits' : 'plan';
  return {
    plans,
    subscription,
    usage: usage.ok ? { ok: true as const, value: { ...usage.value, daily: fillDaily(usage.value.period, usage.value.daily) } } : usage,
    preview,
    priced,
    cursor: cursor ?? null,
    checkout: checkout === 'success' || checkout === 'cancel' ? { status: checkout, kind } : null,
  };
}

const intentSchema = z.enum(['checkout', 'change', 'cancel', 'resume', 'portal', 'pack']);

export async function billingAction(args: Args) {
  const form = await args.request.formData();
  const intent = intentSchema.safeParse(form.get('intent'));
  if (!intent.success) return data<ActionResult>({ formError: 'Unknown action.' }, { status: 400 });
  const handle = sessionOf(args.context);
  try {
    switch (intent.data) {
      case 'checkout': {
        const body = subscriptionCheckoutBody.safeParse({ tier: form.get('tier'), interval: form.get('interval') ?? 'month' });
        if (!body.success) return data<ActionResult>({ formError: 'Choose a plan that can be bought online.' }, { status: 400 });
        const { url } = await api(args, 'POST', '/subscription/checkout', urlResponseSchema, { body: body.data });
        return redirect(url);
      }
      case 'change': {
        const prorationDate = Number(form.get('prorationDate'));
        const body = subscriptionChangeBody.safeParse({ tier: form.get('tier'), ...(prorationDate > 0 ? { prorationDate } : {}) });
        if (!body.success) return data<ActionResult>({ formError: 'Choose a plan that can be bought online.' }, { status: 400 });
        const out = await api(args, 'POST', '/subscription/change', subscriptionChangeResponseSchema, { body: body.data });
        handle.flash('success', out.effective === 'now' ? `You are now on ${cap(out.tier)}. The prorated difference has been charged to your payment method.` : `Your plan changes to ${cap(out.nextTier ?? body.data.tier)} at the end of this period.`);
        return redirect('/billing');
      }
      case 'cancel':
        await api(args, 'POST', '/subscription/cancel', subscriptionResponseSchema);
        handle.flash('info', 'Your subscription will end at the end of this period. You keep your plan until then.');
        return redirect('/billing');
      case 'resume':
        await api(args, 'POST', '/subscription/resume', subscriptionResponseSchema);
        handle.flash('success', 'Your subscription will continue.');
        return redirect('/billing');
      case 'portal': {
        const { url } = await api(args, 'POST', '/billing/portal', urlResponseSchema);
        return redirect(url);
      }
      case 'pack': {
        const body = creditsCheckoutBody.safeParse({ pack: form.get('pack') });
        if (!body.success) return data<ActionResult>({ formError: 'Choose a credit pack.' }, { status: 400 });
        const { url } = await api(args, 'POST', '/credits/checkout', urlResponseSchema, { body: body.data });
        return redirect(url);
      }
    }
  } catch (e) {
    if (e instanceof ApiError) return data<ActionResult>({ formError: e.message }, { status: e.status >= 500 ? 502 : e.status });
    throw e;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
