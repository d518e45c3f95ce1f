import { describe, expect, it } from '@jest/globals';

describe('GET /health on the local stack', () => {
  it('answers 200 and names every dependency it reached', async () => {
    const res = await fetch(`${process.env.API_URL}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body).toMatchObject({ status: "ok" });
    expect(Object.keys(body.checks).sort()).toEqual(['cognito', 'dynamodb', 'messaging', 's3']);
    for (const check of Object.values(body.checks)) expect(check.ok).toBe(true);
  });

  it('answers unknown routes with 404, not 500', async () => {
    const res = await fetch(`${process.env.API_URL}/no-such-route`);
    expect(res.status).toBe(404);
  });
});
