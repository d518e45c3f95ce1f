import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/mfa';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import type { ActionResult } from '../lib/forms.server.ts';
import { mfaAction, mfaLoader } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Two-factor code · Clipforge' }];
export const loader = ({ context }: Route.LoaderArgs) => mfaLoader({ context });
export const action = (args: Route.ActionArgs) => mfaAction(args);

export default function Mfa() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Two-factor authentication</h1>
        <p className="lead">Enter the 6-digit code from your authenticator app for <strong>{email}</strong>.</p>
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <Field label="Authentication code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} required className="code-input" errors={result?.fieldErrors?.code} autoFocus />
          <SubmitButton pendingText="Verifying…">Verify and sign in</SubmitButton>
        </Form>
        <p className="form-footer"><Link to="/signin">Use a different account</Link></p>
      </div>
    </div>
  );
}
