import { Form, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/profile';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import type { ActionResult } from '../lib/forms.server.ts';
import { profileAction, profileLoader } from './profile.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Profile · Clipforge' }];
export const loader = (args: Route.LoaderArgs) => profileLoader(args);
export const action = (args: Route.ActionArgs) => profileAction(args);

export default function Profile() {
  const { me, enrolment } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Profile</p>
          <h1>Your account</h1>
          <p>{me.email}{me.roles.includes('admin') ? ' · administrator' : ''}</p>
        </div>
      </div>
      <FormError message={result?.formError} />
      <div className="grid grid-2">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl className="kv" style={{ marginBottom: 18 }}>
            <dt>Email</dt><dd>{me.email} {me.emailVerified ? <span className="badge badge-active">verified</span> : <span className="badge badge-pending">unverified</span>}</dd>
            <dt>Plan</dt><dd style={{ textTransform: 'capitalize' }}>{me.tier ?? 'free'}</dd>
            <dt>Roles</dt><dd>{me.roles.join(', ') || 'user'}</dd>
          </dl>
          <Form method="post" noValidate>
            <Field label="Name" name="name" autoComplete="name" defaultValue={me.name ?? ''} required maxLength={100} errors={result?.fieldErrors?.name} />
            <SubmitButton name="intent" value="name" className="btn btn-primary" pendingText="Saving…">Save</SubmitButton>
          </Form>
        </section>
        <section className="card" id="security" aria-labelledby="security-title">
          <h2 id="security-title">Two-factor authentication</h2>
          {me.mfaEnabled ? (
            <>
              <p><span className="badge badge-active">On</span> Sign-ins ask for a code from your authenticator app.</p>
              <Form method="post"><SubmitButton name="intent" value="totp-disable" className="btn btn-danger" pendingText="Turning off…">Turn off two-factor</SubmitButton></Form>
            </>
          ) : enrolment ? (
            <>
              <p>Scan this QR code with an authenticator app (Google Authenticator, 1Password, Authy…), then enter the 6-digit code it shows.</p>
              <div className="row" style={{ alignItems: 'flex-start' }}>
                <img className="qr" src={enrolment.qrDataUrl} alt="QR code for your authenticator app" width={196} height={196} />
                <div style={{ flex: 1, minWidth: 180 }}>
                  <p className="small muted" style={{ marginBottom: 4 }}>Can’t scan? Enter this key:</p>
                  <p className="mono small" data-testid="totp-secret">{enrolment.secretCode}</p>
                </div>
              </div>
              <Form method="post" noValidate style={{ marginTop: 12 }}>
                <Field label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} className="code-input" required errors={result?.fieldErrors?.code} />
                <div className="row">
                  <SubmitButton name="intent" value="totp-verify" className="btn btn-primary" pendingText="Verifying…">Turn on</SubmitButton>
                  <button type="submit" name="intent" value="totp-cancel" className="btn btn-ghost" formNoValidate>Cancel</button>
                </div>
              </Form>
            </>
          ) : (
            <>
              <p className="muted">Protect your account with a code from an authenticator app in addition to your password.</p>
              <Form method="post"><SubmitButton name="intent" value="totp-start" className="btn btn-primary" pendingText="Preparing…">Set up two-factor</SubmitButton></Form>
            </>
          )}
        </section>
        <section className="card" aria-labelledby="sessions-title">
          <h2 id="sessions-title">Sessions</h2>
          <p className="muted">Sign out of this browser, or of every device where you are signed in.</p>
          <div className="row">
            <Form method="post" action="/signout" reloadDocument><button type="submit" className="btn btn-secondary">Sign out</button></Form>
            <Form method="post"><SubmitButton name="intent" value="signout-everywhere" className="btn btn-danger" pendingText="Signing out…">Sign out everywhere</SubmitButton></Form>
          </div>
        </section>
      </div>
    </>
  );
}
