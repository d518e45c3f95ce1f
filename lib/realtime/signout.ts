import type { ConnectionStore, Pusher } from './ports.ts';

/**
 * Sign-out closes the user's open WebSockets that belong to the signed-out sessions: they were
 * verified once, at `$connect`, and would otherwise keep receiving the user's events. `covers`
 * is the sign-out's rule (lib/auth/revocation.ts `coveredBy`). Returns the ids closed.
 */
export async function closeSignedOutConnections(
  deps: { connections: ConnectionStore; pusher: Pusher },
  userId: string,
  covers: (session: { sessionId: string; signedInAt?: number }) => boolean,
): Promise<string[]> {
  const open = await deps.connections.listByUser(userId);
  const closing = open.filter((c) => covers({ sessionId: c.sessionId ?? '', ...(c.signedInAt === undefined ? {} : { signedInAt: c.signedInAt }) }));
  await Promise.all(
    closing.map(async (c) => {
      await deps.pusher.close(c.connectionId);
      await deps.connections.remove(userId, c.connectionId);
    }),
  );
  return closing.map((c) => c.connectionId);
}
