import { describe, expect, it } from '@jest/globals';
import { EVERYWHERE_SCOPE, coveredBy, sessionScope } from '../../../lib/auth/revocation.ts';

/** Which tokens a user's sign-out records refuse (lib/auth/revocation.ts). */
describe('coveredBy', () => {
  const token = { sessionId: 's1', signedInAt: 1_000 };

  it('no records: the token is fine', () => {
    expect(coveredBy([], token)).toBe(false);
  });

  it("a signed-out session refuses that session's tokens only", () => {
    const records = [{ scope: sessionScope('s1') }];
    expect(coveredBy(records, token)).toBe(true);
    expect(coveredBy(records, { ...token, sessionId: 's2' })).toBe(false);
  });

  it('everywhere refuses sign-ins up to its second, not the ones after (signing in again works)', () => {
    const records = [{ scope: sessionScope('other') }, { scope: EVERYWHERE_SCOPE, before: 1_500 }];
    expect(coveredBy(records, token)).toBe(true);
    expect(coveredBy(records, { ...token, signedInAt: 1_500 })).toBe(true);
    expect(coveredBy(records, { ...token, signedInAt: 1_501 })).toBe(false);
    expect(coveredBy(records, { ...token, signedInAt: 2_000 })).toBe(false);
  });

  it('a token without a sign-in time counts as signed in long ago', () => {
    expect(coveredBy([{ scope: EVERYWHERE_SCOPE, before: 1 }], { sessionId: 's1' })).toBe(true);
  });
});
