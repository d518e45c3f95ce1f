import { describe, expect, it } from '@jest/globals';
import { parseStripeForm } from '../../../dev/doubles/stripe.ts';

describe('stripe double form parser', () => {
  it('parses bracketed keys the way Stripe does', () => {
    const body =
      'mode=subscription&line_items[0][price]=price_a&line_items[0][quantity]=1&metadata[userId]=u1&subscription_data[metadata][userId]=u1&expand[]=a&expand[]=b';
    expect(parseStripeForm(new URLSearchParams(body).toString())).toEqual({
      mode: 'subscription',
      line_items: [{ price: 'price_a', quantity: '1' }],
      metadata: { userId: 'u1' },
      subscription_data: { metadata: { userId: 'u1' } },
      expand: ['a', 'b'],
    });
  });
});
