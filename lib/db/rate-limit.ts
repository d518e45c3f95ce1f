import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { UpdateItemCommand, $add } from 'dynamodb-toolbox/entity/actions/update';
import { AppTable } from './table.ts';

/**
 * Fixed-window request counters (application rate limits). One item per (bucket, window):
 * pk RATE#<bucket>, sk WINDOW#<window start, epoch s>; expiresAt lets DynamoDB TTL delete it.
 * Entity name is forever: RateLimitCounter.
 */
export const RateLimitCounter = new Entity({
  name: 'RateLimitCounter',
  table: AppTable,
  timestamps: false,
  schema: item({
    bucket: string().key(),
    windowStart: number().key(),
    hits: number(),
    expiresAt: number(),
  }),
  computeKey: ({ bucket, windowStart }: { bucket: string; windowStart: number }) => ({
    pk: `RATE#${bucket}`,
    sk: `WINDOW#${windowStart}`,
  }),
});

/** Atomically adds one hit to the window's counter and returns the new count. */
export async function incrementCounter(bucket: string, windowStart: number, expiresAt: number): Promise<number> {
  const { Attributes } = await RateLimitCounter.build(UpdateItemCommand)
    .item({ bucket, windowStart, hits: $add(1), expiresAt })
    .options({ returnValues: 'UPDATED_NEW' })
    .send();
  return Number(Attributes?.hits ?? 1);
}
