import { Link, useLoaderData } from 'react-router';
import type { Route } from './+types/jobs';
import { listJobsResponseSchema } from '../../../lib/contracts/jobs.ts';
import { api, settle } from '../lib/api.server.ts';
import { formatDate, formatDuration, STAGE_LABELS } from '../components/format.ts';
import { sourceLabel } from '../components/job-row.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Jobs · Clipforge' }];

export async function loader(args: Route.LoaderArgs) {
  const cursor = new URL(args.request.url).searchParams.get('cursor') ?? undefined;
  return { jobs: await settle(api(args, 'GET', '/jobs', listJobsResponseSchema, { query: { limit: 20, cursor } })), cursor: cursor ?? null };
}

export default function Jobs() {
  const { jobs, cursor } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Jobs</p>
          <h1>Your videos</h1>
          <p>Every video you submitted, newest first.</p>
        </div>
        <Link to="/jobs/new" className="btn btn-primary">New job</Link>
      </div>
      <div className="card">
        {!jobs.ok ? (
          <p className="alert alert-error">{jobs.error.message}</p>
        ) : jobs.value.items.length === 0 ? (
          <div className="empty">
            <p>You have not submitted a video yet.</p>
            <Link to="/jobs/new" className="btn btn-primary">Submit a video</Link>
          </div>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Jobs</caption>
              <thead><tr><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Length</th><th scope="col" className="num">Clips</th><th scope="col" className="num">Credits</th><th scope="col">Submitted</th></tr></thead>
              <tbody>
                {jobs.value.items.map((j) => (
                  <tr key={j.jobId}>
                    <td><Link to={`/jobs/${j.jobId}`} style={{ overflowWrap: 'anywhere' }}>{sourceLabel(j)}</Link></td>
                    <td>
                      <span className={`badge badge-${j.status}`}>{j.status}</span>
                      {j.status === 'running' && j.stage ? <div className="small muted">{STAGE_LABELS[j.stage] ?? j.stage} · {Math.round(j.progress)}%</div> : null}
                    </td>
                    <td>{formatDuration(j.durationSeconds)}</td>
                    <td className="num">{j.clipsReady}/{j.clipCount || j.options.clipCount}</td>
                    <td className="num">{j.creditsCharged ?? j.creditsReserved}</td>
                    <td>{formatDate(j.createdAt, true)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="row" style={{ marginTop: 12 }}>
          {cursor ? <Link to="/jobs" className="btn btn-ghost btn-sm">Newest</Link> : null}
          {jobs.ok && jobs.value.nextCursor ? <Link to={`?cursor=${encodeURIComponent(jobs.value.nextCursor)}`} className="btn btn-secondary btn-sm">Older jobs</Link> : null}
        </div>
      </div>
    </>
  );
}
