import type { PushMessage } from '../../../lib/contracts/realtime.ts';

/**
 * The job page's live state, as a pure reducer over WebSocket messages (unit-tested), and the rule
 * that merges it with the loader's data (GET /jobs/{id} + /clips, the truth).
 *
 * Why it exists (issue 7: "Succeeded · 1 of 2 clips ready" with clip 2 still "Rendering…"): the
 * notifier numbers a message when it handles the event, and SQS does not keep order across
 * batches, so a job's last messages can arrive in any order — e.g. the `job.updated` with status
 * `succeeded` (the coordinator publishes job.progress right after job.finished) before
 * `job.finished` and the last `clip.ready`. The page used to keep only the highest `seq`, drop
 * anything lower (so the late `clip.ready` / `job.finished` were lost), skip the gap check for the
 * first message of a connection, and apply a terminal `job.updated` without re-fetching: it then
 * showed the live "succeeded" next to the loader's data from before the last clip, for good.
 * Now: a message is dropped only when its `seq` was already seen; a late, first, gapped, clip or
 * terminal message asks for a re-fetch; and the page keeps re-fetching (see `needsCatchUp`) until
 * the loader agrees with what the socket announced, showing the loader's status meanwhile.
 */
export type JobMessage = Extract<PushMessage, { jobId: string }>;

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminalStatus = (status: string | null | undefined): boolean => !!status && TERMINAL.has(status);

export interface LiveJob {
  /** Highest `seq` applied (0: nothing received on this page yet). */
  lastSeq: number;
  /** Every `seq` applied (recent ones), to drop redeliveries without dropping late messages. */
  seen: number[];
  status?: string;
  stage?: string | null;
  progress?: number | null;
  /** Ids announced by clip.ready. */
  clipIds: string[];
  /** From job.finished. */
  finished?: { status: 'succeeded' | 'failed' | 'cancelled'; clips: number };
}

export const initialLiveJob = (): LiveJob => ({ lastSeq: 0, seen: [], clipIds: [] });

export type RefetchReason = 'first' | 'gap' | 'late' | 'clip' | 'finished' | 'terminal';
export interface Applied {
  state: LiveJob;
  /** Why the loader should be re-run (null: the message needs nothing from the server). */
  refetch: RefetchReason | null;
}

const SEEN_LIMIT = 512;

/** Applies one message of this job's stream. */
export function applyJobMessage(state: LiveJob, msg: JobMessage): Applied {
  if (state.seen.includes(msg.seq)) return { state, refetch: null }; // a redelivery: same seq
  const late = msg.seq < state.lastSeq;
  const reason: RefetchReason | null =
    state.lastSeq === 0 ? 'first' : late ? 'late' : msg.seq > state.lastSeq + 1 ? 'gap' : null;
  const next: LiveJob = {
    ...state,
    lastSeq: Math.max(state.lastSeq, msg.seq),
    seen: [...state.seen, msg.seq].slice(-SEEN_LIMIT),
  };
  switch (msg.type) {
    case 'job.updated': {
      // A late update is older than what we have; nothing overrides a finished job.
      if (!late && !next.finished) Object.assign(next, { status: msg.status, stage: msg.stage, progress: msg.progress });
      return { state: next, refetch: isTerminalStatus(msg.status) ? 'terminal' : reason };
    }
    case 'clip.ready':
      if (!next.clipIds.includes(msg.clip.id)) next.clipIds = [...next.clipIds, msg.clip.id];
      return { state: next, refetch: 'clip' };
    case 'job.finished':
      next.finished = { status: msg.status, clips: msg.clips };
      next.status = msg.status;
      if (msg.status === 'succeeded') next.progress = 100;
      return { state: next, refetch: 'finished' };
  }
}

/** What the loader returned, reduced to what live messages can contradict. */
export interface LoaderSnapshot {
  status: string;
  clipsReady: number;
  clips: { id: string; status: string }[];
}

/** The live view knows something the loader data does not show yet: re-fetch (again). */
export function needsCatchUp(live: LiveJob, loader: LoaderSnapshot): boolean {
  if (isTerminalStatus(loader.status)) return false; // the server's final word
  if (live.finished || isTerminalStatus(live.status)) return true;
  const ready = new Set(loader.clips.filter((c) => c.status === 'ready').map((c) => c.id));
  return live.clipIds.some((id) => !ready.has(id));
}

export interface ShownJob {
  status: string;
  stage: string | null;
  progress: number;
  /** The socket announced more than the loader shows: a re-fetch is on its way. */
  catchingUp: boolean;
}

/**
 * What the page shows. The loader wins once it is terminal. Before that, live messages move the
 * status, stage and progress forward — except to a terminal status: "succeeded" is only shown with
 * the clips and counts that go with it, i.e. once the loader has them.
 */
export function shownJob(loader: LoaderSnapshot & { stage: string | null; progress: number }, live: LiveJob): ShownJob {
  if (isTerminalStatus(loader.status)) {
    return { status: loader.status, stage: loader.stage, progress: loader.status === 'succeeded' ? 100 : loader.progress, catchingUp: false };
  }
  const catchingUp = needsCatchUp(live, loader);
  const liveStatus = live.status && !isTerminalStatus(live.status) ? live.status : undefined;
  return {
    status: liveStatus ?? loader.status,
    stage: (liveStatus ? live.stage : undefined) ?? loader.stage,
    progress: Math.min(catchingUp ? 99 : 100, Math.max(loader.progress, live.progress ?? 0)),
    catchingUp,
  };
}
