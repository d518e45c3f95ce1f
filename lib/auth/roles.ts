/** Roles the product uses. Every signed-in user has `user`; Cognito groups add the others. */
export type Role = 'admin' | 'support' | 'user';

/**
 * Cognito group → roles. Roles nest: `admin` can do everything `support` can (read-only admin
 * reports), and both can do everything a `user` can. Unknown groups grant nothing.
 */
export const GROUP_ROLES: Readonly<Record<string, readonly Role[]>> = {
  admin: ['admin', 'support'],
  support: ['support'],
};

export function rolesForGroups(groups: readonly string[]): Role[] {
  const roles = new Set<Role>(['user']);
  for (const group of groups) for (const role of GROUP_ROLES[group] ?? []) roles.add(role);
  return (['admin', 'support', 'user'] as const).filter((r) => roles.has(r));
}
