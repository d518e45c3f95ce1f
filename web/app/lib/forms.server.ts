import { data } from 'react-router';
import type { z } from 'zod';
import { AuthError, authErrorMessage } from '../../../lib/auth-client/index.ts';

/** Form validation with the shared zod contracts: 400 with field errors on bad input. */
export type ActionResult = { fieldErrors?: Record<string, string[]>; formError?: string; values?: Record<string, string> };

export function formValues(form: FormData, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = form.get(k);
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Parse with a contract schema; on failure a 400 with field errors to RETURN from the action. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, echo: Record<string, string> = {}) {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true as const, data: parsed.data as z.infer<S> };
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '_');
    (fieldErrors[key] ??= []).push(issue.message);
  }
  const { password: _drop, ...values } = echo;
  return { ok: false as const, response: data<ActionResult>({ fieldErrors, values }, { status: 400 }) };
}

/** Maps an auth failure to a 400/401 form error (never a 500). */
export function authFailure(e: unknown, values: Record<string, string> = {}, field?: Record<string, string>) {
  if (!(e instanceof AuthError)) throw e;
  const { password: _drop, ...echo } = values;
  const fieldName = field?.[e.code];
  if (fieldName) return data<ActionResult>({ fieldErrors: { [fieldName]: [authErrorMessage(e)] }, values: echo }, { status: 400 });
  const status = e.code === 'NotAuthorizedException' ? 401 : e.code === 'NetworkError' ? 503 : e.status === 429 || e.code.includes('Limit') || e.code.includes('TooMany') ? 429 : 400;
  return data<ActionResult>({ formError: authErrorMessage(e), values: echo }, { status });
}
