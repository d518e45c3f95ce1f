import { z } from 'zod';
import { route, json } from '../../lib/http/http.ts';
import { ValidationError } from '../../lib/http/errors.ts';
import { adminLimitsBody } from '../../lib/contracts/billing.ts';
import { setEnterpriseLimits } from '../../lib/billing/account.ts';

const userIdParam = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.@:-]+$/);

/** PUT /admin/accounts/{userId}/limits (admin) → the account on the enterprise tier with overrides. */
export const handler = route({ body: adminLimitsBody, roles: ['admin'] }, async ({ params, body }) => {
  const userId = userIdParam.safeParse(params.userId);
  if (!userId.success) throw new ValidationError('Invalid userId in the path');
  const a = await setEnterpriseLimits(userId.data, body.limits);
  return json(200, { userId: a.userId, tier: a.tier, status: a.status, limits: a.limits });
});
