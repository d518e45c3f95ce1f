import { getOptionalSession, type Args } from './auth.server.ts';

/** JSON helpers for resource routes called by the page's own scripts (never redirects). */
export function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { 'Cache-Control': 'no-store' } });
}

export async function sessionForResource(args: Pick<Args, 'context'>) {
  return (await getOptionalSession(args)).session;
}
