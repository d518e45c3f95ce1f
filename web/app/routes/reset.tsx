import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/reset';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import type { ActionResult } from '../lib/forms.server.ts';
import { emailHint, resetAction } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Choose a new password · Clipforge' }];
export const loader = ({ request, context }: Route.LoaderArgs) => ({ email: emailHint(request, context) });
export const action = (args: Route.ActionArgs) => resetAction(args);

export default function Reset() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Choose a new password</h1>
        <p className="lead">Enter the code from your email and a new password.</p>
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values?.email ?? email} errors={result?.fieldErrors?.email} />
          <Field label="Reset code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} required className="code-input" errors={result?.fieldErrors?.code} autoFocus />
          <Field label="New password" name="password" type="password" autoComplete="new-password" required errors={result?.fieldErrors?.password} hint="At least 12 characters with upper and lower case letters, a number and a symbol." />
          <SubmitButton pendingText="Saving…">Set new password</SubmitButton>
        </Form>
        <p className="form-footer"><Link to="/forgot">Send a new code</Link></p>
      </div>
    </div>
  );
}
