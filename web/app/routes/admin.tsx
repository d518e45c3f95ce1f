import { Link, useLoaderData } from 'react-router';
import type { Route } from './+types/admin';
import { adminUsersResponse } from '../../../lib/contracts/auth.ts';
import { adminUsageResponseSchema } from '../../../lib/contracts/billing.ts';
import { api, settle } from '../lib/api.server.ts';
import { requireRole } from '../lib/auth.server.ts';
import { formatDate } from '../components/format.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Admin · Clipforge' }];

/** Admins only: the link is hidden for everyone else and this loader answers them 403. */
export async function loader(args: Route.LoaderArgs) {
  await requireRole(args, 'admin');
  const url = new URL(args.request.url);
  const email = url.searchParams.get('email')?.trim() || undefined;
  const [users, usage] = await Promise.all([
    settle(api(args, 'GET', '/admin/users', adminUsersResponse, { query: { limit: 50, email, paginationToken: url.searchParams.get('page') ?? undefined } })),
    settle(api(args, 'GET', '/admin/usage', adminUsageResponseSchema)),
  ]);
  return { users, usage, email: email ?? '' };
}

export default function Admin() {
  const { users, usage, email } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Admin</p>
          <h1>Users and usage</h1>
          <p>Visible to the admin group only.</p>
        </div>
      </div>
      {usage.ok ? (
        <div className="grid grid-3">
          <div className="card stat"><span className="label">API requests ({usage.value.from} – {usage.value.to})</span><span className="value">{usage.value.totals.requests}</span></div>
          <div className="card stat"><span className="label">Errors</span><span className="value">{usage.value.totals.errors}</span></div>
          <div className="card stat"><span className="label">Active users</span><span className="value">{usage.value.totals.users}</span></div>
        </div>
      ) : <p className="alert alert-error">{usage.error.message}</p>}
      <section className="card" style={{ marginTop: 20 }} aria-labelledby="users-title">
        <div className="row between">
          <h2 id="users-title">Users</h2>
          <form method="get" className="row" role="search">
            <label htmlFor="email-filter" className="visually-hidden">Filter by email prefix</label>
            <input id="email-filter" name="email" type="text" placeholder="Email starts with…" defaultValue={email} style={{ width: 220 }} />
            <button type="submit" className="btn btn-secondary btn-sm">Filter</button>
          </form>
        </div>
        {users.ok ? (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Users</caption>
              <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {users.value.users.map((u) => (
                  <tr key={u.sub}><td>{u.email ?? '—'}</td><td>{u.name ?? '—'}</td><td><span className={`badge ${u.enabled ? 'badge-active' : 'badge-failed'}`}>{u.status.toLowerCase().replace(/_/g, ' ')}</span></td><td>{formatDate(u.createdAt)}</td></tr>
                ))}
              </tbody>
            </table>
            {users.value.paginationToken ? <Link className="btn btn-secondary btn-sm" to={`?page=${encodeURIComponent(users.value.paginationToken)}`}>Next page</Link> : null}
          </div>
        ) : <p className="alert alert-error">{users.error.message}</p>}
      </section>
      {usage.ok && usage.value.users.length ? (
        <section className="card" style={{ marginTop: 20 }} aria-labelledby="usage-title">
          <h2 id="usage-title">API usage by user</h2>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">User</th><th scope="col" className="num">Requests</th><th scope="col" className="num">Errors</th><th scope="col" className="num">Avg latency</th></tr></thead>
              <tbody>
                {usage.value.users.map((u) => <tr key={u.userId}><td className="mono small">{u.userId}</td><td className="num">{u.requests}</td><td className="num">{u.errors}</td><td className="num">{Math.round(u.avgLatencyMs)} ms</td></tr>)}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}
