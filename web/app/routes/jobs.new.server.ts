import { data, redirect } from 'react-router';
import { z } from 'zod';
import { createJobBodySchema, createJobResponseSchema, quoteResponseSchema, type QuoteResponse } from '../../../lib/contracts/jobs.ts';
import { api, ApiError, settle } from '../lib/api.server.ts';
import { usageResponseSchema } from '../../../lib/contracts/billing.ts';
import type { Args } from '../lib/auth.server.ts';
import { parseClock } from '../components/format.ts';

const FIELDS = ['source', 'url', 'uploadKey', 'uploadName', 'rangeFrom', 'rangeTo', 'clipCount', 'minSeconds', 'maxSeconds', 'aspect', 'captions', 'language', 'prompt', 'idempotencyKey'] as const;

export interface NewJobResult {
  fieldErrors?: Record<string, string[]>;
  formError?: string;
  errorCode?: string;
  values: Record<string, string>;
  quote?: QuoteResponse;
  idempotencyKey?: string;
}

export async function newJobLoader(args: Args) {
  const usage = await settle(api(args, 'GET', '/usage', usageResponseSchema, { query: { limit: 1 } }));
  return { balance: usage.ok ? usage.value.balance : null };
}

const CLOCK_HINT = 'a time such as 12:30 or 1:02:00';

/**
 * The optional "only this part" fields: both empty → the whole video; else both must be times.
 * Returns the range, or field errors.
 */
export function parseRangeFields(values: Record<string, string>): { range?: { startSeconds: number; endSeconds: number }; errors?: Record<string, string[]> } {
  const from = values.rangeFrom?.trim() ?? '';
  const to = values.rangeTo?.trim() ?? '';
  if (!from && !to) return {};
  const startSeconds = from ? parseClock(from) : 0;
  const endSeconds = to ? parseClock(to) : undefined;
  const errors: Record<string, string[]> = {};
  if (startSeconds === undefined) errors.rangeFrom = [`Enter ${CLOCK_HINT}`];
  if (endSeconds === undefined) errors.rangeTo = [to ? `Enter ${CLOCK_HINT}` : 'Enter where the part ends'];
  if (Object.keys(errors).length || startSeconds === undefined || endSeconds === undefined) return { errors };
  return { range: { startSeconds, endSeconds } };
}

/** Form → the shared createJob contract (the same schema the API validates with). */
export function parseJobForm(values: Record<string, string>, range = parseRangeFields(values).range) {
  const num = (k: string) => (values[k] ? Number(values[k]) : undefined);
  const source = values.source === 'file' ? { uploadKey: values.uploadKey || undefined } : { url: values.url?.trim() || undefined };
  const options = {
    clipCount: num('clipCount'),
    minSeconds: num('minSeconds'),
    maxSeconds: num('maxSeconds'),
    aspect: values.aspect || undefined,
    captions: values.captions === 'on' || values.captions === 'true',
    language: values.language?.trim() || undefined,
    prompt: values.prompt?.trim() || undefined,
  };
  return createJobBodySchema.safeParse({ ...source, ...(range ? { range } : {}), options });
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path[0] === 'options' ? String(issue.path[1] ?? 'options') : String(issue.path[0] ?? '_');
    const name = key === 'uploadKey' ? 'file' : key === 'range' ? (issue.path[1] === 'startSeconds' ? 'rangeFrom' : 'rangeTo') : key;
    (out[name] ??= []).push(issue.message);
  }
  return out;
}

export async function newJobAction(args: Args) {
  const form = await args.request.formData();
  const values: Record<string, string> = {};
  for (const k of FIELDS) {
    const v = form.get(k);
    if (typeof v === 'string') values[k] = v;
  }
  const intent = form.get('intent');
  const { range, errors: rangeErrors } = parseRangeFields(values);
  const parsed = parseJobForm(values, range);
  if (!parsed.success || rangeErrors) {
    const fieldErrors = { ...(parsed.success ? {} : fieldErrorsOf(parsed.error)), ...rangeErrors };
    if (values.source === 'file' && !values.uploadKey) fieldErrors.file = ['Choose a video file and wait for the upload to finish'];
    return data<NewJobResult>({ fieldErrors, values }, { status: 400 });
  }
  const body = parsed.data;
  const source = { ...(body.url ? { url: body.url } : { uploadKey: body.uploadKey }), ...(body.range ? { range: body.range } : {}) };
  try {
    if (intent === 'quote') {
      const quote = await api(args, 'POST', '/jobs/quote', quoteResponseSchema, { body: source });
      return data<NewJobResult>({ quote, values, idempotencyKey: crypto.randomUUID() });
    }
    if (intent === 'create') {
      const key = z.uuid().safeParse(values.idempotencyKey);
      const created = await api(args, 'POST', '/jobs', createJobResponseSchema, {
        body,
        headers: { 'Idempotency-Key': key.success ? key.data : crypto.randomUUID() },
      });
      return redirect(`/jobs/${encodeURIComponent(created.jobId)}`);
    }
    return data<NewJobResult>({ formError: 'Unknown action.', values }, { status: 400 });
  } catch (e) {
    if (e instanceof ApiError) {
      const message =
        e.code === 'INSUFFICIENT_CREDITS' ? 'You do not have enough credits for this video. Buy a credit pack or upgrade your plan.'
        : e.code === 'VIDEO_TOO_LONG' ? `${e.message} Upgrade your plan to process longer videos.`
        : e.code === 'TOO_MANY_JOBS' ? 'You already have as many jobs running as your plan allows. Wait for one to finish, or upgrade.'
        : e.message;
      // A range outside the video (known only once the API has probed it): shown under the range fields.
      const outside = (e.details as Record<string, string[]> | undefined)?.['range.startSeconds'];
      if (outside) return data<NewJobResult>({ fieldErrors: { rangeFrom: outside }, values }, { status: 400 });
      return data<NewJobResult>({ formError: message, errorCode: e.code, values }, { status: e.status >= 500 ? 502 : e.status });
    }
    throw e;
  }
}
