import { Link, useLoaderData } from 'react-router';
import type { Route } from './+types/dashboard';
import { listJobsResponseSchema } from '../../../lib/contracts/jobs.ts';
import { subscriptionResponseSchema, usageResponseSchema } from '../../../lib/contracts/billing.ts';
import { api, settle } from '../lib/api.server.ts';
import { requireUser } from '../lib/auth.server.ts';
import { fillDaily } from '../lib/billing.ts';
import { UsageChart } from '../components/usage-chart.tsx';
import { JobRow } from '../components/job-row.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Dashboard · Clipforge' }];

export async function loader(args: Route.LoaderArgs) {
  const { user } = await requireUser(args);
  const [subscription, usage, jobs] = await Promise.all([
    settle(api(args, 'GET', '/subscription', subscriptionResponseSchema)),
    settle(api(args, 'GET', '/usage', usageResponseSchema, { query: { limit: 5 } })),
    settle(api(args, 'GET', '/jobs', listJobsResponseSchema, { query: { limit: 5 } })),
  ]);
  return {
    name: user.name ?? user.email,
    subscription,
    usage: usage.ok ? { ok: true as const, value: { ...usage.value, daily: fillDaily(usage.value.period, usage.value.daily) } } : usage,
    jobs,
  };
}

export default function Dashboard() {
  const { name, subscription, usage, jobs } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Dashboard</p>
          <h1>Hi {name.split(' ')[0]}</h1>
          <p>Here is what is happening with your clips.</p>
        </div>
        <Link to="/jobs/new" className="btn btn-primary">New job</Link>
      </div>
      <div className="grid grid-4">
        <div className="card stat">
          <span className="label">Plan</span>
          <span className="value" style={{ textTransform: 'capitalize' }}>{subscription.ok ? subscription.value.tier : '—'}</span>
          {subscription.ok ? <span className={`badge badge-${subscription.value.status}`}>{subscription.value.status === 'none' ? 'free' : subscription.value.status.replace('_', ' ')}</span> : <span className="small muted">{subscription.error.message}</span>}
        </div>
        <div className="card stat">
          <span className="label">Credit balance</span>
          <span className="value" data-testid="credit-balance">{usage.ok ? usage.value.balance : '—'}</span>
          <span className="small muted">1 credit = 1 minute of video</span>
        </div>
        <div className="card stat">
          <span className="label">Reserved by running jobs</span>
          <span className="value">{usage.ok ? usage.value.reserved : '—'}</span>
        </div>
        <div className="card stat">
          <span className="label">Spent this period</span>
          <span className="value">{usage.ok ? usage.value.spent : '—'}</span>
        </div>
      </div>
      <div className="grid grid-2" style={{ marginTop: 20 }}>
        <section className="card" aria-labelledby="recent-jobs">
          <div className="row between"><h2 id="recent-jobs">Recent jobs</h2><Link to="/jobs">All jobs</Link></div>
          {!jobs.ok ? (
            <p className="alert alert-error">{jobs.error.message}</p>
          ) : jobs.value.items.length === 0 ? (
            <div className="empty">
              <p>No jobs yet.</p>
              <Link to="/jobs/new" className="btn btn-primary btn-sm">Submit your first video</Link>
            </div>
          ) : (
            <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
              {jobs.value.items.map((j) => <JobRow key={j.jobId} job={j} />)}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="usage-title">
          <div className="row between"><h2 id="usage-title">Usage this period</h2><Link to="/billing">Billing</Link></div>
          {usage.ok ? <UsageChart daily={usage.value.daily} /> : <p className="alert alert-error">{usage.error.message}</p>}
        </section>
      </div>
    </>
  );
}
