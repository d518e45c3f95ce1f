import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { map } from 'dynamodb-toolbox/schema/map';
import type { FormattedItem } from 'dynamodb-toolbox/entity';
import { AppTable } from './table.ts';

/**
 * A clip of a job. Key: pk JOB#<jobId> / sk CLIP#<clipId>; clip ids (c01, c02, …) sort in the
 * order the selector ranked them. Created by the select stage, completed by render.
 */
export const ClipEntity = new Entity({
  name: 'Clip',
  table: AppTable,
  schema: item({
    jobId: string().key(),
    clipId: string().key(),
    userId: string(),
    index: number(),
    status: string().enum('pending', 'rendering', 'ready', 'failed'),
    start: number(),
    end: number(),
    title: string(),
    reason: string(),
    score: number(),
    transcript: string(),
    durationSeconds: number().optional(),
    videoKey: string().optional(),
    thumbnailKey: string().optional(),
    srtKey: string().optional(),
    vttKey: string().optional(),
    renderMs: number().optional(),
    error: map({ code: string(), message: string() }).optional(),
  }),
  computeKey: ({ jobId, clipId }: { jobId: string; clipId: string }) => ({ pk: `JOB#${jobId}`, sk: `CLIP#${clipId}` }),
});
export type ClipItem = FormattedItem<typeof ClipEntity>;

export const clipIdFor = (index: number): string => `c${String(index + 1).padStart(2, '0')}`;
