import type { ConnectionRecord, ConnectionSession } from '../db/connection.ts';
import type { Allocated } from '../db/realtime-sequence.ts';
import type { AuthUser } from '../auth/verifier.ts';

/**
 * What the real-time logic needs from the outside world. lib/realtime/index.ts wires the real
 * implementations (DynamoDB, the API Gateway management API, lib/auth, lib/billing); unit tests
 * pass in-memory ones.
 */
export type { ConnectionRecord } from '../db/connection.ts';
export type { Allocated } from '../db/realtime-sequence.ts';

export interface ConnectionStore {
  put(userId: string, connectionId: string, session?: ConnectionSession): Promise<ConnectionRecord>;
  find(connectionId: string): Promise<ConnectionRecord | undefined>;
  listByUser(userId: string): Promise<ConnectionRecord[]>;
  remove(userId: string, connectionId: string): Promise<void>;
  /** Adds a job to the connection's subscriptions and returns them all. */
  subscribe(userId: string, connectionId: string, jobId: string): Promise<string[]>;
}

export interface SequenceStore {
  /**
   * The sequence number of one message. `messageKey` identifies the message across redeliveries
   * (event id + message type): the same key always gets the same number back.
   */
  allocate(stream: string, messageKey: string, clipId?: string): Promise<Allocated>;
}

/** Outcome of one postToConnection. `gone` = 410: the connection no longer exists. */
export type PostOutcome = 'sent' | 'gone';

export interface Pusher {
  /** Resolves `sent` or `gone`; throws on anything else (the error carries an HTTP status when it has one). */
  post(connectionId: string, data: string): Promise<PostOutcome>;
  /** Closes the connection from the server side (a connection already gone is fine). */
  close(connectionId: string): Promise<void>;
}

export type VerifyToken = (token: string) => Promise<AuthUser>;
export type GetBalance = (userId: string) => Promise<number>;
