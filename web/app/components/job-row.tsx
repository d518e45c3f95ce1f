import { Link } from 'react-router';
import type { JobView } from '../../../lib/contracts/jobs.ts';
import { formatDate, formatDuration, STAGE_LABELS } from './format.ts';

export function sourceLabel(job: Pick<JobView, 'source'>): string {
  if (job.source.kind === 'url' && job.source.url) {
    try {
      const u = new URL(job.source.url);
      return u.hostname + u.pathname;
    } catch {
      return job.source.url;
    }
  }
  return job.source.uploadKey?.split('/').pop() ?? 'Uploaded file';
}

export function JobRow({ job }: { job: JobView }) {
  return (
    <li style={{ borderBottom: '1px solid var(--line)', padding: '12px 0' }}>
      <div className="row between">
        <Link to={`/jobs/${job.jobId}`} style={{ fontWeight: 600, overflowWrap: 'anywhere' }}>{sourceLabel(job)}</Link>
        <span className={`badge badge-${job.status}`}>{job.status}</span>
      </div>
      <div className="small muted">
        {formatDate(job.createdAt, true)} · {formatDuration(job.durationSeconds)} · {job.clipsReady}/{job.clipCount || job.options.clipCount} clips
        {job.status === 'running' && job.stage ? ` · ${STAGE_LABELS[job.stage] ?? job.stage} ${Math.round(job.progress)}%` : ''}
      </div>
    </li>
  );
}
