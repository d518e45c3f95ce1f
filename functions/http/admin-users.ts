import { route, json } from '../../lib/http/http.ts';
import { adminUsersQuery } from '../../lib/contracts/auth.ts';
import { cognitoDeps, listUsers } from '../../lib/auth/cognito-api.ts';

/** GET /admin/users?limit&paginationToken&email → {users, paginationToken?}; admin group only (403 otherwise). */
export const handler = route({ query: adminUsersQuery, roles: ['admin'] }, async (req) => {
  return json(200, await listUsers(cognitoDeps(), req.query), { 'cache-control': 'no-store' });
});
