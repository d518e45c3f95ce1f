import { useEffect, useRef, useState } from 'react';
import { useRevalidator } from 'react-router';
import { serverMessageSchema } from '../../../lib/contracts/realtime.ts';

export interface LiveState {
  status?: string;
  stage?: string | null;
  progress?: number | null;
  /** 'socket' when the WebSocket is open, 'polling' when falling back. */
  mode: 'connecting' | 'socket' | 'polling';
}

/**
 * Live job progress: the WebSocket (token from /resources/realtime-token) pushes job.updated,
 * clip.ready and job.finished; messages are ordered by `seq`. When the socket cannot be opened or
 * drops, the page falls back to polling the loader every few seconds and retries the socket.
 */
export function useLiveJob(jobId: string, terminal: boolean): LiveState {
  const [state, setState] = useState<LiveState>({ mode: 'connecting' });
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;

  useEffect(() => {
    if (terminal) return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let lastSeq = 0;
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
      setState((s) => ({ ...s, mode: 'polling' }));
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
          setState((s) => ({ ...s, mode: 'socket' }));
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
          if (!('jobId' in msg) || msg.jobId !== jobId || !('seq' in msg)) return;
          if (msg.seq <= lastSeq) return;
          if (msg.seq > lastSeq + 1 && lastSeq > 0) refresh(); // a gap: fetch the truth
          lastSeq = msg.seq;
          if (msg.type === 'job.updated') setState((s) => ({ ...s, status: msg.status, stage: msg.stage, progress: msg.progress }));
          if (msg.type === 'clip.ready') refresh();
          if (msg.type === 'job.finished') {
            setState((s) => ({ ...s, status: msg.status, progress: msg.status === 'succeeded' ? 100 : s.progress }));
            refresh();
          }
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

  return state;
}
