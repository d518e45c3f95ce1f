import { useEffect, useRef, useState } from 'react';
import { useRevalidator } from 'react-router';
import { serverMessageSchema } from '../../../lib/contracts/realtime.ts';
import { applyJobMessage, initialLiveJob, needsCatchUp, type LiveJob, type LoaderSnapshot } from '../lib/live-job.ts';

export interface LiveState {
  /** What the socket said (see lib/live-job.ts; the page merges it with the loader via shownJob). */
  job: LiveJob;
  /** 'socket' when the WebSocket is open, 'polling' when falling back. */
  mode: 'connecting' | 'socket' | 'polling';
}

/**
 * Live job progress: the WebSocket (token from /resources/realtime-token) pushes job.updated,
 * clip.ready and job.finished, reduced by `applyJobMessage` (dedupe by `seq`; a first, late or
 * gapped message, a clip, or a terminal status re-runs the loader). When the socket cannot be
 * opened or drops, the page falls back to polling the loader every few seconds and retries the
 * socket. Whatever the transport, while the loader lags behind what was announced (`needsCatchUp`:
 * e.g. job.finished arrived but the loader still shows a clip rendering), the loader is re-run
 * with backoff until it agrees — the final view is always the server's.
 */
export function useLiveJob(jobId: string, loader: LoaderSnapshot): LiveState {
  const terminal = ['succeeded', 'failed', 'cancelled'].includes(loader.status);
  const [mode, setMode] = useState<LiveState['mode']>('connecting');
  const [job, setJob] = useState<LiveJob>(initialLiveJob);
  const jobRef = useRef(job);
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;

  useEffect(() => {
    jobRef.current = initialLiveJob();
    setJob(jobRef.current);
  }, [jobId]);

  // Catch up: re-run the loader (500 ms, 1 s, 2 s … 8 s) until it shows what the socket announced.
  const catchUp = needsCatchUp(job, loader);
  const catchUpAttempts = useRef(0);
  const loaderKey = `${loader.status}|${loader.clipsReady}|${loader.clips.map((c) => `${c.id}:${c.status}`).join(',')}`;
  useEffect(() => {
    if (!catchUp) {
      catchUpAttempts.current = 0;
      return;
    }
    if (revalidator.state !== 'idle') return; // runs again when this revalidation ends
    const delay = Math.min(8000, 500 * 2 ** catchUpAttempts.current);
    catchUpAttempts.current += 1;
    const timer = setTimeout(() => void revalidate.current(), delay);
    return () => clearTimeout(timer);
  }, [catchUp, loaderKey, revalidator.state]);

  useEffect(() => {
    if (terminal) return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pending: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;

    const refresh = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        void revalidate.current();
      }, 250);
    };
    const startPolling = () => {
      setMode('polling');
      poll ??= setInterval(() => void revalidate.current(), 3000);
    };
    const stopPolling = () => {
      if (poll) clearInterval(poll);
      poll = undefined;
    };

    async function connect() {
      if (stopped) return;
      attempts += 1;
      try {
        const res = await fetch('/resources/realtime-token', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
        if (!res.ok) throw new Error(`token ${res.status}`);
        const { token, wsUrl } = (await res.json()) as { token: string; wsUrl: string };
        if (stopped) return;
        const url = new URL(wsUrl);
        url.searchParams.set('token', token);
        const ws = new WebSocket(url);
        socket = ws;
        ws.onopen = () => {
          attempts = 0;
          stopPolling();
          setMode('socket');
          ws.send(JSON.stringify({ action: 'subscribe', jobId }));
          refresh(); // catch up on anything that happened before the socket opened
        };
        ws.onmessage = (event) => {
          let raw: unknown;
          try {
            raw = JSON.parse(String(event.data));
          } catch {
            return;
          }
          const parsed = serverMessageSchema.safeParse(raw);
          if (!parsed.success) return;
          const msg = parsed.data;
          if (msg.type !== 'job.updated' && msg.type !== 'clip.ready' && msg.type !== 'job.finished') return;
          if (msg.jobId !== jobId) return;
          const applied = applyJobMessage(jobRef.current, msg);
          if (applied.state !== jobRef.current) {
            jobRef.current = applied.state;
            setJob(applied.state);
          }
          if (applied.refetch) refresh();
        };
        const fallback = () => {
          if (stopped || socket !== ws) return;
          socket = null;
          startPolling();
          retry = setTimeout(() => void connect(), Math.min(30_000, 2000 * attempts));
        };
        ws.onerror = fallback;
        ws.onclose = fallback;
      } catch {
        startPolling();
        if (!stopped) retry = setTimeout(() => void connect(), Math.min(30_000, 2000 * attempts));
      }
    }

    void connect();
    return () => {
      stopped = true;
      stopPolling();
      if (retry) clearTimeout(retry);
      if (pending) clearTimeout(pending);
      if (socket) {
        socket.onclose = null;
        socket.onerror = null;
        socket.close();
      }
    };
  }, [jobId, terminal]);

  return { job, mode };
}
