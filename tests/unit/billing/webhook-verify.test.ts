import { describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { createHmac } from 'node:crypto';
import { rawBodyOf, verifyStripeEvent, type WebhookDeps } from '../../../lib/billing/webhook.ts';
import { BadRequestError } from '../../../lib/http/errors.ts';

const SECRET = 'whsec_unit_test';
const NOW = 1_800_000_000;
const deps: WebhookDeps = { stripe: new Stripe('sk_test_unit'), secret: SECRET, prices: {}, nowSeconds: () => NOW };
const payload = JSON.stringify({ id: 'evt_123', object: 'event', type: 'invoice.paid', created: NOW, data: { object: { id: 'in_1', object: 'invoice' } } });
const sign = (body: string, t = NOW, secret = SECRET) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

function rejects(fn: () => unknown, message: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BadRequestError);
  expect((err as BadRequestError).status).toBe(400);
  expect((err as BadRequestError).code).toBe('INVALID_SIGNATURE');
  expect((err as Error).message).toMatch(message);
}

describe('verifyStripeEvent', () => {
  it('accepts a correctly signed, fresh event (SDK-generated header too)', () => {
    expect(verifyStripeEvent(payload, sign(payload), deps).id).toBe('evt_123');
    const header = deps.stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: NOW - 10 });
    expect(verifyStripeEvent(payload, header, deps).type).toBe('invoice.paid');
  });
  it('rejects a tampered body', () => {
    rejects(() => verifyStripeEvent(payload.replace('in_1', 'in_2'), sign(payload), deps), /signature/i);
  });
  it('rejects the wrong secret', () => {
    rejects(() => verifyStripeEvent(payload, sign(payload, NOW, 'whsec_other'), deps), /signature/i);
  });
  it('rejects a missing header', () => {
    rejects(() => verifyStripeEvent(payload, undefined, deps), /Missing/);
    rejects(() => verifyStripeEvent(payload, 'v1=abc', deps), /timestamp/);
  });
  it('rejects an old timestamp (beyond the 300 s tolerance)', () => {
    rejects(() => verifyStripeEvent(payload, sign(payload, NOW - 301), deps), /tolerance|timestamp/i);
  });
  it('rejects a timestamp in the future beyond the clock skew (Stripe accepts these)', () => {
    rejects(() => verifyStripeEvent(payload, sign(payload, NOW + 120), deps), /future/);
    expect(verifyStripeEvent(payload, sign(payload, NOW + 30), deps).id).toBe('evt_123');
  });
  it('rejects a signed payload that is not an event', () => {
    const notEvent = JSON.stringify({ hello: 'world' });
    let err: unknown;
    try {
      verifyStripeEvent(notEvent, sign(notEvent), deps);
    } catch (e) {
      err = e;
    }
    expect((err as BadRequestError).code).toBe('INVALID_PAYLOAD');
  });
  it('decodes base64 bodies before verification', () => {
    const event = { body: Buffer.from(payload).toString('base64'), isBase64Encoded: true };
    expect(rawBodyOf(event)).toBe(payload);
    expect(verifyStripeEvent(rawBodyOf(event), sign(payload), deps).id).toBe('evt_123');
    expect(rawBodyOf({ body: payload })).toBe(payload);
    expect(rawBodyOf({ body: null })).toBe('');
  });
});
