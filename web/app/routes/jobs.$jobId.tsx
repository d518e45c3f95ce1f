import { Form, Link, data, redirect, useLoaderData, useActionData } from 'react-router';
import type { Route } from './+types/jobs.$jobId';
import { STAGES } from '../../../lib/contracts/job-events.ts';
import { clipsResponseSchema, jobSchema, TERMINAL_STATUSES, type ClipView, type JobView } from '../../../lib/contracts/jobs.ts';
import { api, ApiError, rethrowApi, settle } from '../lib/api.server.ts';
import { sessionOf } from '../lib/auth.server.ts';
import { FormError, SubmitButton } from '../components/forms.tsx';
import { formatDate, formatDuration, plural, STAGE_LABELS } from '../components/format.ts';
import { sourceLabel } from '../components/job-row.tsx';
import { useLiveJob } from '../components/use-live-job.ts';
import { shownJob } from '../lib/live-job.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Job · Clipforge' }];

export async function loader(args: Route.LoaderArgs) {
  const id = encodeURIComponent(args.params.jobId);
  let job: JobView;
  try {
    job = await api(args, 'GET', `/jobs/${id}`, jobSchema);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw data({ message: 'We could not find that job.' }, { status: 404 });
    rethrowApi(e);
  }
  // Job first, clips second: clips are never older than the job record, so a terminal job always
  // comes with its final clips (the page stops following the job once the loader is terminal).
  const clips = await settle(api(args, 'GET', `/jobs/${id}/clips`, clipsResponseSchema));
  return { job, clips: clips.ok ? clips.value.items : [], clipsError: clips.ok ? null : clips.error.message };
}

export async function action(args: Route.ActionArgs) {
  const form = await args.request.formData();
  if (form.get('intent') !== 'cancel') return data({ formError: 'Unknown action.' }, { status: 400 });
  try {
    await api(args, 'POST', `/jobs/${encodeURIComponent(args.params.jobId)}/cancel`, jobSchema);
  } catch (e) {
    if (e instanceof ApiError) return data({ formError: e.message }, { status: e.status >= 500 ? 502 : e.status });
    throw e;
  }
  sessionOf(args.context).flash('info', 'The job was cancelled and its reserved credits refunded.');
  return redirect(`/jobs/${encodeURIComponent(args.params.jobId)}`);
}

function StageList({ job, stage }: { job: JobView; stage: string | null | undefined }) {
  const currentIndex = stage ? STAGES.indexOf(stage as (typeof STAGES)[number]) : -1;
  return (
    <ol className="stage-list" aria-label="Stages">
      {STAGES.map((s, i) => {
        const timing = job.stages[s];
        const cls = timing?.status === 'failed' ? 'failed' : timing?.status === 'succeeded' || timing?.status === 'skipped' || (job.status === 'succeeded') || (currentIndex > i) ? 'done' : s === stage && job.status === 'running' ? 'current' : '';
        return <li key={s} className={cls} aria-current={cls === 'current' ? 'step' : undefined}>{STAGE_LABELS[s] ?? s}{timing?.ms ? ` · ${(timing.ms / 1000).toFixed(1)} s` : ''}</li>;
      })}
    </ol>
  );
}

function ClipCard({ clip, jobId }: { clip: ClipView; jobId: string }) {
  const base = `/resources/jobs/${encodeURIComponent(jobId)}/clips/${encodeURIComponent(clip.id)}`;
  const excerpt = clip.transcript.length > 260 ? clip.transcript.slice(0, 257) + '…' : clip.transcript;
  return (
    <article className="card clip" data-testid="clip" aria-labelledby={`clip-${clip.id}`}>
      {clip.status === 'ready' && clip.videoUrl ? (
        <video controls preload="metadata" playsInline src={clip.videoUrl} poster={clip.thumbnailUrl ?? undefined} aria-label={`Clip: ${clip.title}`} />
      ) : (
        <div className="placeholder">{clip.status === 'failed' ? 'This clip failed to render' : 'Rendering…'}</div>
      )}
      <div className="row between" style={{ marginTop: 12 }}>
        <h3 id={`clip-${clip.id}`} style={{ margin: 0 }}>{clip.title || `Clip ${clip.index + 1}`}</h3>
        <span className="score" title="Highlight score">{Math.round(clip.score * (clip.score <= 1 ? 100 : 1))}</span>
      </div>
      <p className="small muted" style={{ margin: '4px 0' }}>{formatDuration(clip.start)} – {formatDuration(clip.end)} · {formatDuration(clip.durationSeconds ?? clip.end - clip.start)}</p>
      {clip.reason ? <p className="small">{clip.reason}</p> : null}
      {excerpt ? <blockquote>{excerpt}</blockquote> : null}
      {clip.status === 'ready' ? (
        <div className="row">
          {clip.videoUrl ? <a className="btn btn-primary btn-sm" href={`${base}/mp4`} download>Download MP4</a> : null}
          {clip.captionsUrl ? <a className="btn btn-secondary btn-sm" href={`${base}/srt`} download>SRT</a> : null}
          {clip.captionsUrl ? <a className="btn btn-secondary btn-sm" href={`${base}/vtt`} download>VTT</a> : null}
        </div>
      ) : null}
    </article>
  );
}

export default function JobPage() {
  const { job, clips, clipsError } = useLoaderData<typeof loader>();
  const result = useActionData<{ formError?: string }>();
  const terminal = TERMINAL_STATUSES.includes(job.status);
  const snapshot = { status: job.status, stage: job.stage, progress: job.progress, clipsReady: job.clipsReady, clips };
  const live = useLiveJob(job.jobId, snapshot);
  // The loader is the truth; live messages move the page forward in between, but a terminal status
  // is only shown with the loader's data that goes with it (see web/app/lib/live-job.ts).
  const { status, stage, progress, catchingUp } = shownJob(snapshot, live.job);
  const shownTerminal = TERMINAL_STATUSES.includes(status as JobView['status']);
  // The job record and the clip list are read one after the other: count what the list shows too.
  const clipsReady = Math.max(job.clipsReady, clips.filter((c) => c.status === 'ready').length);
  const refunded = job.status === 'failed' || job.status === 'cancelled' ? job.creditsReserved - (job.creditsCharged ?? 0) : 0;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow"><Link to="/jobs">Jobs</Link> / {job.jobId}</p>
          <h1 style={{ overflowWrap: 'anywhere' }}>{sourceLabel(job)}</h1>
          <p>
            Submitted {formatDate(job.createdAt, true)} · {formatDuration(job.durationSeconds)}
            {job.source.range ? ` (${formatDuration(job.source.range.startSeconds)} – ${formatDuration(job.source.range.endSeconds)})` : ''} · {plural(job.options.clipCount, 'clip')} requested
          </p>
        </div>
        {!shownTerminal ? (
          <Form method="post"><SubmitButton name="intent" value="cancel" className="btn btn-danger" pendingText="Cancelling…">Cancel job</SubmitButton></Form>
        ) : <Link to="/jobs/new" className="btn btn-primary">New job</Link>}
      </div>
      <FormError message={result?.formError} />
      <section className="card" aria-labelledby="progress-title">
        <div className="row between">
          <h2 id="progress-title" style={{ margin: 0 }}>
            <span className={`badge badge-${status}`} data-testid="job-status">{status}</span>{' '}
            {status === 'running' && stage ? STAGE_LABELS[stage] ?? stage : status === 'queued' ? 'Waiting to start' : ''}
          </h2>
          {!shownTerminal ? <span className={`live${live.mode === 'socket' ? ' on' : ''}`}>{catchingUp ? 'Finishing up…' : live.mode === 'socket' ? 'Live' : live.mode === 'polling' ? 'Updating every few seconds' : 'Connecting…'}</span> : null}
        </div>
        <div className="progress" role="progressbar" aria-label="Job progress" aria-valuenow={Math.round(progress)} aria-valuemin={0} aria-valuemax={100} style={{ marginTop: 14 }}>
          <span style={{ width: `${progress}%` }} />
        </div>
        <p className="small muted" style={{ marginTop: 6 }}>{Math.round(progress)}% · {clipsReady} of {job.clipCount || job.options.clipCount} clips ready</p>
        <StageList job={job} stage={stage} />
        {job.status === 'failed' ? (
          <div className="alert alert-error" role="alert" style={{ marginTop: 16 }}>
            <strong>This job failed.</strong> {job.error?.message ?? 'Something went wrong while processing the video.'}
            {job.error?.code ? <span className="small"> ({job.error.code})</span> : null}
            <div style={{ marginTop: 6 }}>{refunded > 0 ? `${plural(refunded, 'credit')} refunded to your balance.` : 'No credits were charged.'}</div>
          </div>
        ) : null}
        {job.status === 'cancelled' ? <p className="alert alert-info" style={{ marginTop: 16 }}>This job was cancelled. {refunded > 0 ? `${plural(refunded, 'credit')} refunded.` : ''}</p> : null}
        {job.status === 'succeeded' ? <p className="alert alert-success" style={{ marginTop: 16 }}>Done! {plural(job.creditsCharged ?? 0, 'credit')} charged.</p> : null}
        {job.notices.map((n) => <p key={n} className="alert alert-info">{n}</p>)}
      </section>
      <section style={{ marginTop: 24 }} aria-labelledby="clips-title">
        <h2 id="clips-title">Clips</h2>
        {clipsError ? <p className="alert alert-error">{clipsError}</p> : null}
        {clips.length ? (
          <div className="clips">{clips.map((c) => <ClipCard key={c.id} clip={c} jobId={job.jobId} />)}</div>
        ) : (
          <div className="card empty">{terminal ? 'No clips were produced.' : 'Clips appear here as soon as each one is rendered.'}</div>
        )}
      </section>
    </>
  );
}
