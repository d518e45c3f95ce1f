import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/billing';
import type { PlansResponse, SubscriptionResponse } from '../../../lib/contracts/billing.ts';
import { FormError, SubmitButton } from '../components/forms.tsx';
import { formatDate, formatDuration, formatHeight, formatMoney } from '../components/format.ts';
import { UsageChart } from '../components/usage-chart.tsx';
import { TIER_ORDER } from '../lib/billing.ts';
import type { ActionResult } from '../lib/forms.server.ts';
import { billingAction, billingLoader } from './billing.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Plans & billing · Clipforge' }];
export const loader = (args: Route.LoaderArgs) => billingLoader(args);
export const action = (args: Route.ActionArgs) => billingAction(args);

type Plan = PlansResponse['plans'][number];

function PlanCard({ plan, subscription }: { plan: Plan; subscription: SubscriptionResponse | null }) {
  const current = subscription?.tier === plan.tier;
  const subscribed = !!subscription && subscription.status !== 'none' && subscription.tier !== 'free';
  const l = plan.limits;
  const buyable = plan.intervals.length > 0;
  const higher = subscription ? TIER_ORDER.indexOf(plan.tier) > TIER_ORDER.indexOf(subscription.tier) : true;
  return (
    <div className={`card plan${current ? ' current' : ''}`} data-testid={`plan-${plan.tier}`}>
      {current ? <span className="tag">Current plan</span> : null}
      <h3>{plan.name}</h3>
      <div><span className="credits">{l.monthlyCredits}</span> <span className="muted">credits / month</span></div>
      <ul>
        <li>Videos up to {formatDuration(l.maxSourceSeconds)}</li>
        <li>Up to {l.maxClipsPerJob} clips per job</li>
        <li>Up to {formatHeight(l.maxHeight)} output</li>
        <li className={l.watermark ? 'no' : undefined}>{l.watermark ? 'Watermarked clips' : 'No watermark'}</li>
        <li>{l.concurrentJobs} job{l.concurrentJobs === 1 ? '' : 's'} at a time, {l.priority} priority</li>
        <li>{l.captionStyles.length} caption style{l.captionStyles.length === 1 ? '' : 's'}</li>
        <li className={l.apiAccess ? undefined : 'no'}>{l.apiAccess ? 'API access' : 'No API access'}</li>
      </ul>
      {current ? (
        <span className="btn btn-secondary" aria-disabled="true">Your plan</span>
      ) : plan.tier === 'enterprise' ? (
        <a className="btn btn-secondary" href="mailto:sales@clipforge.example">Contact sales</a>
      ) : !buyable ? null : subscribed ? (
        <Link className={`btn ${higher ? 'btn-primary' : 'btn-secondary'}`} to={`?change=${plan.tier}#change`}>{higher ? 'Upgrade' : 'Downgrade'} to {plan.name}</Link>
      ) : (
        <Form method="post" className="stack">
          <input type="hidden" name="tier" value={plan.tier} />
          {plan.intervals.length > 1 ? (
            <div className="segmented" role="radiogroup" aria-label={`${plan.name} billing interval`}>
              {plan.intervals.map((i, n) => (
                <label key={i}><input type="radio" name="interval" value={i} defaultChecked={n === 0} /><span>{i === 'month' ? 'Monthly' : 'Yearly'}</span></label>
              ))}
            </div>
          ) : <input type="hidden" name="interval" value={plan.intervals[0]} />}
          <SubmitButton name="intent" value="checkout" className="btn btn-primary btn-block" pendingText="Opening checkout…">Choose {plan.name}</SubmitButton>
        </Form>
      )}
    </div>
  );
}

export default function Billing() {
  const { plans, subscription, usage, preview, priced, cursor, checkout } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  // The change in money, from Stripe's preview invoice (GET /subscription/preview).
  const amounts = priced?.ok ? priced.value : null;
  const money = (minor: number) => formatMoney(minor, amounts?.currency ?? 'usd');
  const sub = subscription.ok ? subscription.value : null;
  const paid = !!sub && sub.status !== 'none' && sub.tier !== 'free';
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Plans &amp; billing</p>
          <h1>Your plan and credits</h1>
          <p>{plans.ok ? plans.value.creditRule : '1 credit = 1 started minute of source video.'}</p>
        </div>
        {paid ? (
          <Form method="post"><SubmitButton name="intent" value="portal" className="btn btn-secondary" pendingText="Opening…">Manage billing</SubmitButton></Form>
        ) : null}
      </div>
      {checkout?.status === 'success' ? <p className="alert alert-success" role="status">Payment received. {checkout.kind === 'credits' ? 'Your credits' : 'Your plan and credits'} update as soon as Stripe confirms it — usually within seconds.</p> : null}
      {checkout?.status === 'cancel' ? <p className="alert alert-info" role="status">Checkout was cancelled. Nothing was charged.</p> : null}
      <FormError message={result?.formError} />

      <div className="grid grid-4">
        <div className="card stat">
          <span className="label">Current plan</span>
          <span className="value" style={{ textTransform: 'capitalize' }} data-testid="current-tier">{sub?.tier ?? '—'}</span>
          {sub ? <span className={`badge badge-${sub.status}`}>{sub.status === 'none' ? 'free' : sub.status.replace('_', ' ')}</span> : null}
        </div>
        <div className="card stat">
          <span className="label">Credit balance</span>
          <span className="value" data-testid="credit-balance">{usage.ok ? usage.value.balance : '—'}</span>
          {usage.ok && usage.value.reserved ? <span className="small muted">{usage.value.reserved} reserved by running jobs</span> : null}
        </div>
        <div className="card stat">
          <span className="label">{sub?.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</span>
          <span className="value" style={{ fontSize: '1.3rem' }}>{formatDate(sub?.currentPeriodEnd)}</span>
          {sub?.nextTier ? <span className="small muted">Changes to {sub.nextTier} then</span> : null}
        </div>
        <div className="card stat">
          <span className="label">This period</span>
          <span className="value" style={{ fontSize: '1.3rem' }}>{usage.ok ? `${usage.value.spent} spent` : '—'}</span>
          {usage.ok ? <span className="small muted">{usage.value.granted} granted</span> : null}
        </div>
      </div>
      {!subscription.ok ? <p className="alert alert-error">{subscription.error.message}</p> : null}
      {sub?.status === 'past_due' ? <p className="alert alert-warn">Your last payment failed. Update your payment method in “Manage billing” to keep your plan.</p> : null}

      {preview ? (
        <section id="change" className="card quote" style={{ marginTop: 20 }} aria-labelledby="change-title">
          <h2 id="change-title">{preview.direction === 'upgrade' ? 'Upgrade' : 'Downgrade'} to {preview.to}</h2>
          {amounts ? (
            <p className="alert alert-info" role="status" data-testid="preview-summary">
              {amounts.effective === 'now'
                ? amounts.amountDue > 0
                  ? `You’ll pay ${money(amounts.amountDue)} now (proration), then ${money(amounts.nextPaymentAmount)} on the next invoice (${formatDate(amounts.nextPaymentAt)}).`
                  : `Nothing is charged now (proration ${money(amounts.prorationAmount)}, kept as credit); the next invoice (${formatDate(amounts.nextPaymentAt)}) is ${money(amounts.nextPaymentAmount)}.`
                : `Nothing is charged now. You’ll pay ${money(amounts.nextPaymentAmount)} on the next invoice (${formatDate(amounts.nextPaymentAt)}).`}
            </p>
          ) : priced && !priced.ok ? (
            <p className="alert alert-warn">We could not get the exact amounts from Stripe ({priced.error.message}). The change itself is priced by Stripe as described below.</p>
          ) : null}
          <dl className="kv">
            <dt>Takes effect</dt><dd>{preview.effective === 'now' ? 'Immediately' : `At the end of this period (${formatDate(preview.periodEnd)})`}</dd>
            <dt>Monthly credits</dt><dd>{preview.creditsFrom} → {preview.creditsTo}</dd>
            {amounts ? (
              <>
                <dt>Due now</dt><dd data-testid="preview-due">{money(amounts.amountDue)}</dd>
                <dt>Next invoice</dt><dd data-testid="preview-next">{money(amounts.nextPaymentAmount)} on {formatDate(amounts.nextPaymentAt)}</dd>
              </>
            ) : null}
            {preview.direction === 'upgrade' ? (
              <>
                <dt>Proration</dt>
                <dd>{preview.daysLeft} day{preview.daysLeft === 1 ? '' : 's'} left ({Math.round(preview.remainingFraction * 100)}% of the period): unused time on {preview.from} is credited and the rest of the period on {preview.to} is charged, invoiced as soon as you confirm.</dd>
              </>
            ) : (
              <>
                <dt>Until then</dt><dd>You keep {preview.from} and its limits; no refund, no charge now.</dd>
              </>
            )}
          </dl>
          {amounts && amounts.lines.length ? (
            <div className="table-wrap" style={{ marginTop: 14 }}>
              <table data-testid="preview-lines">
                <caption className="visually-hidden">{amounts.effective === 'now' ? 'Preview of the invoice lines' : 'Preview of the next invoice'}</caption>
                <thead><tr><th scope="col">Item</th><th scope="col">Period</th><th scope="col" className="num">Amount</th></tr></thead>
                <tbody>
                  {amounts.lines.map((l, i) => (
                    <tr key={`${l.description}-${i}`}>
                      <td>{l.description || '—'}{l.proration ? <> <span className="badge">prorated</span></> : null}</td>
                      <td className="small">{l.periodStart ? `${formatDate(l.periodStart)} – ${formatDate(l.periodEnd)}` : '—'}</td>
                      <td className={`num${l.amount < 0 ? ' amount-pos' : ''}`}>{money(l.amount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <Form method="post" className="row" style={{ marginTop: 16 }}>
            <input type="hidden" name="tier" value={preview.to} />
            {amounts?.prorationDate ? <input type="hidden" name="prorationDate" value={amounts.prorationDate} /> : null}
            <SubmitButton name="intent" value="change" className="btn btn-primary" pendingText="Changing…">Confirm {preview.direction}{amounts && amounts.amountDue > 0 ? ` and pay ${money(amounts.amountDue)}` : ''}</SubmitButton>
            <Link to="/billing" className="btn btn-ghost">Keep my plan</Link>
          </Form>
        </section>
      ) : null}

      <section style={{ marginTop: 32 }} aria-labelledby="plans-title">
        <h2 id="plans-title">Compare plans</h2>
        {plans.ok ? (
          <div className="plans">
            {plans.value.plans.map((p) => <PlanCard key={p.tier} plan={p} subscription={sub} />)}
          </div>
        ) : <p className="alert alert-error">{plans.error.message}</p>}
        {paid ? (
          <Form method="post" className="row" style={{ marginTop: 12 }}>
            {sub?.cancelAtPeriodEnd ? (
              <SubmitButton name="intent" value="resume" className="btn btn-secondary btn-sm" pendingText="Resuming…">Resume subscription</SubmitButton>
            ) : (
              <SubmitButton name="intent" value="cancel" className="btn btn-danger btn-sm" pendingText="Cancelling…">Cancel subscription</SubmitButton>
            )}
          </Form>
        ) : null}
      </section>

      {plans.ok && plans.value.packs.length ? (
        <section className="card" style={{ marginTop: 32 }} aria-labelledby="packs-title">
          <h2 id="packs-title">Credit packs</h2>
          <p className="muted">One-time purchases. Pack credits never expire.</p>
          <div className="packs">
            {plans.value.packs.map((p) => (
              <Form method="post" key={p.pack} className="card pack">
                <input type="hidden" name="pack" value={p.pack} />
                <div className="credits" style={{ fontSize: '1.6rem', fontWeight: 800 }}>{p.credits}</div>
                <div className="muted" style={{ marginBottom: 10, textTransform: 'capitalize' }}>{p.pack} pack · credits</div>
                <SubmitButton name="intent" value="pack" className="btn btn-secondary btn-block" disabled={!p.available} pendingText="Opening checkout…">{p.available ? 'Buy' : 'Unavailable'}</SubmitButton>
              </Form>
            ))}
          </div>
        </section>
      ) : null}

      <section className="card" style={{ marginTop: 32 }} aria-labelledby="usage-title">
        <h2 id="usage-title">Usage this period</h2>
        {usage.ok ? (
          <>
            <p className="muted small">{formatDate(usage.value.period.start)} – {formatDate(usage.value.period.end)}</p>
            <UsageChart daily={usage.value.daily} />
          </>
        ) : <p className="alert alert-error">{usage.error.message}</p>}
      </section>

      <section className="card" style={{ marginTop: 20 }} aria-labelledby="ledger-title">
        <h2 id="ledger-title">Credit history</h2>
        {usage.ok ? (
          usage.value.ledger.length ? (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Credit ledger, newest first</caption>
                <thead><tr><th scope="col">Date</th><th scope="col">Type</th><th scope="col">Reference</th><th scope="col" className="num">Change</th><th scope="col" className="num">Balance</th></tr></thead>
                <tbody>
                  {usage.value.ledger.map((e, i) => (
                    <tr key={`${e.ref}-${e.kind}-${i}`}>
                      <td>{formatDate(e.at, true)}</td>
                      <td><span className="badge">{e.kind}</span></td>
                      <td className="small mono">{e.source ? `${e.source} · ` : ''}{e.ref}</td>
                      <td className={`num ${e.amount > 0 ? 'amount-pos' : e.amount < 0 ? 'amount-neg' : ''}`}>{e.amount > 0 ? `+${e.amount}` : e.amount}</td>
                      <td className="num">{e.balanceAfter ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : <p className="empty">No credit movements yet.</p>
        ) : null}
        <div className="row" style={{ marginTop: 12 }}>
          {cursor ? <Link to="/billing" className="btn btn-ghost btn-sm">Newest</Link> : null}
          {usage.ok && usage.value.nextCursor ? <Link to={`?cursor=${encodeURIComponent(usage.value.nextCursor)}`} className="btn btn-secondary btn-sm">Older entries</Link> : null}
        </div>
      </section>
    </>
  );
}
