import {
  extensionRequestSchema,
  MESSAGE_SENDERS,
  type ExtensionReply,
  type ExtensionRequestType,
  type ReplyData,
  type RequestOf,
  type SenderKind,
} from '../../lib/contracts/extension-messages.ts';
import type { MessageSenderPort } from './ports.ts';

/**
 * The background's message router. Every message is checked in this order:
 * 1. the sender is this extension (sender.id === runtime.id) — other extensions and web pages are
 *    refused (web pages cannot even reach onMessage without externally_connectable, which we do
 *    not declare; the check is defence in depth);
 * 2. the sender's kind: an extension page (URL on the extension's own origin) or a content script
 *    (sender.tab set, URL http(s));
 * 3. the message validates against the zod contract;
 * 4. that kind of sender may send that message type (content scripts may only report videos and
 *    open the clipper: they never receive tokens, account or job data).
 */
export type Handlers = {
  [T in ExtensionRequestType]: (request: RequestOf<T>, ctx: { sender: MessageSenderPort; kind: SenderKind }) => Promise<ReplyData[T]>;
};

export class ReplyableError extends Error {
  override name = 'ReplyableError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function classifySender(sender: MessageSenderPort, extensionId: string, extensionOrigin: string): SenderKind | null {
  if (!sender || sender.id !== extensionId) return null;
  const url = sender.url ?? '';
  const origin = extensionOrigin.replace(/\/+$/, '');
  if (url === origin || url.startsWith(origin + '/')) return 'page';
  if (sender.tab && /^https?:\/\//.test(url)) return 'content';
  return null;
}

export function createRouter(options: {
  extensionId: string;
  /** runtime.getURL('') without the trailing slash, e.g. chrome-extension://<id> */
  extensionOrigin: string;
  handlers: Handlers;
  onError?: (error: unknown, type: string) => void;
}) {
  const { extensionId, extensionOrigin, handlers } = options;
  return async function route(message: unknown, sender: MessageSenderPort): Promise<ExtensionReply> {
    const kind = classifySender(sender, extensionId, extensionOrigin);
    if (!kind) return { ok: false, error: { code: 'FORBIDDEN', message: 'Messages are accepted from this extension only' } };
    const parsed = extensionRequestSchema.safeParse(message);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return { ok: false, error: { code: 'BAD_REQUEST', message: first ? `${first.path.join('.') || 'message'}: ${first.message}` : 'Invalid message' } };
    }
    const request = parsed.data;
    if (!MESSAGE_SENDERS[request.type].includes(kind)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: `${request.type} is not accepted from a ${kind === 'content' ? 'web page context' : 'page'}` } };
    }
    try {
      const handler = handlers[request.type] as (r: typeof request, ctx: { sender: MessageSenderPort; kind: SenderKind }) => Promise<unknown>;
      const data = await handler(request, { sender, kind });
      return { ok: true, data };
    } catch (error) {
      options.onError?.(error, request.type);
      if (error instanceof ReplyableError) return { ok: false, error: { code: error.code, message: error.message } };
      const e = error as { code?: unknown; message?: unknown };
      if (typeof e?.code === 'string' && typeof e.message === 'string') return { ok: false, error: { code: e.code, message: e.message } };
      return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong in the extension. Try again.' } };
    }
  };
}
