import { z } from 'zod';
import { sourceRangeSchema } from './jobs.ts';

/**
 * Messages between the extension's pages (popup, clipper window), its content scripts and its
 * background worker. Browser-safe (zod only). The background validates every message with
 * `extensionRequestSchema` and answers with an `ExtensionReply`; which sender may send which
 * message is decided by `MESSAGE_SENDERS` (content scripts never receive tokens or account data).
 */

export const MESSAGE_VERSION = 1 as const;

/** A playable video found on a page by the content script. */
export const pageVideoSchema = z.object({
  /** Stable within one page load: index among the page's videos, or `page` for the page URL itself. */
  id: z.string().min(1).max(64),
  /** What we send to the API: an http(s) media URL, or the page URL for a known video site. */
  url: z.url({ protocol: /^https?$/ }).max(4096),
  kind: z.enum(['media', 'page']),
  title: z.string().max(300),
  currentTime: z.number().nonnegative().nullable(),
  duration: z.number().nonnegative().nullable(),
  paused: z.boolean(),
});
export type PageVideo = z.infer<typeof pageVideoSchema>;

export const pageScanSchema = z.object({
  pageUrl: z.url().max(4096),
  pageTitle: z.string().max(300),
  site: z.string().max(64).nullable(),
  videos: z.array(pageVideoSchema).max(50),
});
export type PageScan = z.infer<typeof pageScanSchema>;

/** The part of the video to clip ("the 10 minutes around now"): the jobs API's range. */
export const clipRangeSchema = sourceRangeSchema;
export type ClipRange = z.infer<typeof clipRangeSchema>;

export const clipOptionsSchema = z.object({
  clipCount: z.number().int().min(1).max(20),
  aspect: z.enum(['source', '9:16', '1:1']),
  captions: z.boolean(),
});
export type ClipOptions = z.infer<typeof clipOptionsSchema>;

const email = z.email().max(254);

/** Requests handled by the background worker. */
export const extensionRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth.state') }),
  z.object({ type: z.literal('auth.signIn'), email, password: z.string().min(1).max(256) }),
  z.object({ type: z.literal('auth.mfa'), code: z.string().regex(/^\d{6}$/, 'Enter the 6-digit code') }),
  z.object({ type: z.literal('auth.hostedUi'), provider: z.enum(['Google', 'Facebook']).optional() }),
  z.object({ type: z.literal('auth.signOut') }),
  z.object({ type: z.literal('account.get') }),
  z.object({ type: z.literal('videos.list'), tabId: z.number().int().nonnegative() }),
  z.object({ type: z.literal('jobs.quote'), url: z.url({ protocol: /^https?$/ }).max(4096), range: clipRangeSchema.optional() }),
  z.object({
    type: z.literal('jobs.create'),
    url: z.url({ protocol: /^https?$/ }).max(4096),
    range: clipRangeSchema.optional(),
    options: clipOptionsSchema,
    /** Chosen by the popup once per confirmation: a double click creates one job. */
    idempotencyKey: z.string().min(8).max(128),
  }),
  z.object({ type: z.literal('jobs.current') }),
  /** From a content script: the videos on its page changed. */
  z.object({ type: z.literal('content.videos'), scan: pageScanSchema }),
  /** From a content script's in-page button: open the clipper window for this tab and video. */
  z.object({ type: z.literal('content.openClipper'), videoId: z.string().min(1).max(64) }),
]);
export type ExtensionRequest = z.infer<typeof extensionRequestSchema>;
export type ExtensionRequestType = ExtensionRequest['type'];
export type RequestOf<T extends ExtensionRequestType> = Extract<ExtensionRequest, { type: T }>;

/** Who may send a message: `page` = the extension's own pages, `content` = its content scripts. */
export type SenderKind = 'page' | 'content';
export const MESSAGE_SENDERS: Record<ExtensionRequestType, readonly SenderKind[]> = {
  'auth.state': ['page'],
  'auth.signIn': ['page'],
  'auth.mfa': ['page'],
  'auth.hostedUi': ['page'],
  'auth.signOut': ['page'],
  'account.get': ['page'],
  'videos.list': ['page'],
  'jobs.quote': ['page'],
  'jobs.create': ['page'],
  'jobs.current': ['page'],
  'content.videos': ['content'],
  'content.openClipper': ['content'],
};

/** What the popup learns about the session: never a token. */
export const authStateSchema = z.object({
  status: z.enum(['signedOut', 'mfaRequired', 'signedIn']),
  user: z.object({ sub: z.string(), email: z.string().nullable() }).nullable(),
  /** Set when the last session ended by itself (refresh token expired or revoked). */
  expired: z.boolean(),
  /** Whether social sign-in (the hosted UI) is configured for this stage. */
  hostedUi: z.boolean(),
  /** The portal, for sign-up and password reset links. */
  portalUrl: z.url(),
});
export type AuthState = z.infer<typeof authStateSchema>;

export const accountSchema = z.object({
  tier: z.string(),
  credits: z.number().int(),
  low: z.boolean(),
  /** The plan's clips-per-job limit (the popup offers no more). */
  maxClips: z.number().int().positive(),
  upgradeUrl: z.url(),
  portalUrl: z.url(),
});
export type Account = z.infer<typeof accountSchema>;

export const quoteSchema = z.object({
  durationSeconds: z.number().nonnegative(),
  credits: z.number().int().nonnegative(),
  affordable: z.boolean(),
  balance: z.number().int().nullable(),
  upgradeUrl: z.url(),
});
export type Quote = z.infer<typeof quoteSchema>;

export const trackedClipSchema = z.object({
  id: z.string(),
  title: z.string(),
  start: z.number(),
  end: z.number(),
  portalUrl: z.url(),
  thumbnailUrl: z.string().nullable(),
});
export type TrackedClip = z.infer<typeof trackedClipSchema>;

export const trackedJobSchema = z.object({
  jobId: z.string(),
  status: z.string(),
  stage: z.string().nullable(),
  progress: z.number().min(0).max(100),
  clips: z.array(trackedClipSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  portalUrl: z.url(),
  /** websocket or polling: how the background follows the job. */
  transport: z.enum(['websocket', 'polling', 'none']),
  updatedAt: z.string(),
});
export type TrackedJob = z.infer<typeof trackedJobSchema>;

export const replyErrorSchema = z.object({ code: z.string(), message: z.string() });
export type ReplyError = z.infer<typeof replyErrorSchema>;
export type ExtensionReply<T = unknown> = { ok: true; data: T } | { ok: false; error: ReplyError };

/** The data each request answers with. */
export interface ReplyData {
  'auth.state': AuthState;
  'auth.signIn': AuthState;
  'auth.mfa': AuthState;
  'auth.hostedUi': AuthState;
  'auth.signOut': AuthState;
  'account.get': Account;
  'videos.list': PageScan;
  'jobs.quote': Quote;
  'jobs.create': TrackedJob;
  'jobs.current': TrackedJob | null;
  'content.videos': { stored: number };
  'content.openClipper': { opened: boolean };
}

/** Background → extension pages broadcast. Pages check the sender is their own extension. */
export const extensionEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event.job'), job: trackedJobSchema }),
  z.object({ type: z.literal('event.auth'), state: authStateSchema }),
]);
export type ExtensionEvent = z.infer<typeof extensionEventSchema>;

/** Background → content script: describe the page's videos now (with current times). */
export const contentRequestSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('content.scan') })]);
export type ContentRequest = z.infer<typeof contentRequestSchema>;
