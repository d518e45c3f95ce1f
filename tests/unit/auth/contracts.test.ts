import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { authRoutes, passwordSchema, signUpBody, updateProfileBody, adminUsersQuery } from '../../../lib/contracts/auth.ts';

describe('identity contract', () => {
  it.each([
    ['Short1!', false],
    ['alllowercase1!', false],
    ['ALLUPPERCASE1!', false],
    ['NoDigitsHere!!', false],
    ['NoSymbols12345', false],
    [' Leading1space!', false],
    ['Correct-Horse-1', true],
    ['Sp ace inside1A', true],
  ])('password %j valid=%s', (password, valid) => {
    const result = passwordSchema.safeParse(password);
    expect(result.success).toBe(valid);
    if (!valid) expect(result.error?.issues[0]?.message).toContain('at least 12 characters');
  });

  it('normalises the email and refuses unknown fields', () => {
    expect(signUpBody.parse({ email: '  Ann@Example.COM ', password: 'Correct-Horse-1', name: 'Ann' }).email).toBe('ann@example.com');
    expect(signUpBody.safeParse({ email: 'a@b.co', password: 'Correct-Horse-1', name: 'A', sub: 'x' }).success).toBe(false);
  });

  it('PATCH /me accepts only name and locale', () => {
    expect(updateProfileBody.safeParse({ name: 'New' }).success).toBe(true);
    expect(updateProfileBody.safeParse({ locale: 'pt-BR' }).success).toBe(true);
    expect(updateProfileBody.safeParse({ email: 'x@y.z' }).success).toBe(false);
    expect(updateProfileBody.safeParse({ 'custom:tier': 'enterprise' }).success).toBe(false);
    expect(updateProfileBody.safeParse({}).success).toBe(false);
  });

  it('admin list query has bounds', () => {
    expect(adminUsersQuery.parse({})).toEqual({ limit: 50 });
    expect(adminUsersQuery.safeParse({ limit: '500' }).success).toBe(false);
    expect(adminUsersQuery.safeParse({ email: 'a" or 1' }).success).toBe(false);
  });

  it('every route of functions/auth.yml is in authRoutes with the same auth level, and back', () => {
    const functions = parse(readFileSync(new URL('../../../functions/auth.yml', import.meta.url), 'utf8')) as Record<string, { handler: string; events: { httpApi: string }[] }>;
    const declared = Object.values(functions).flatMap((f) => f.events.map((e) => e.httpApi)).sort();
    expect(authRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(declared);
    for (const [, fn] of Object.entries(functions)) {
      const file = readFileSync(new URL(`../../../${fn.handler.replace(/\.handler$/, '.ts')}`, import.meta.url), 'utf8');
      const spec = authRoutes.find((r) => `${r.method} ${r.path}` === fn.events[0]?.httpApi);
      const expected = spec?.auth === 'public' ? /publicRoute\(/ : spec?.auth === 'admin' ? /roles: \['admin'\]/ : /\broute\(/;
      expect(file).toMatch(expected);
    }
  });
});
