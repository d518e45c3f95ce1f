import middy from '@middy/core';
import { z } from 'zod';
import { describe, it, expect } from '@jest/globals';
describe('toolchain', () => {
  it('runs ESM middy', async () => {
    const h = middy().handler(async (e: { a: number }) => z.number().parse(e.a) + 1);
    expect(await h({ a: 1 }, {} as never)).toBe(2);
  });
});
