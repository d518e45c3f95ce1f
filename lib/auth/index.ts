import { UnauthorizedError, ForbiddenError } from '../http/errors.ts';

/** Roles the product uses, mapped from Cognito groups (see roles.ts once identity lands). */
export type Role = 'admin' | 'support' | 'user';

export interface AuthUser {
  sub: string;
  username?: string;
  email?: string;
  groups: string[];
  roles: Role[];
  clientId: string;
  scopes: string[];
}

/** Verifies a bearer access token. Placeholder until the identity issue lands: refuses everything. */
export async function authenticate(authorization: string | undefined): Promise<AuthUser> {
  void authorization;
  throw new UnauthorizedError('Authentication is not configured yet');
}

export function requireRole(user: AuthUser, roles: Role[]): void {
  if (!roles.some((r) => user.roles.includes(r))) throw new ForbiddenError('This needs the role: ' + roles.join(' or '));
}
