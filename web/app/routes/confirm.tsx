import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/confirm';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import type { ActionResult } from '../lib/forms.server.ts';
import { confirmAction, emailHint } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Confirm your email · Clipforge' }];

export function loader({ request, context }: Route.LoaderArgs) {
  return { email: emailHint(request, context) };
}

export const action = (args: Route.ActionArgs) => confirmAction(args);

export default function Confirm() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Check your email</h1>
        <p className="lead">{email ? <>We sent a 6-digit code to <strong>{email}</strong>.</> : 'Enter the 6-digit code we emailed you.'}</p>
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values?.email ?? email} errors={result?.fieldErrors?.email} />
          <Field label="Confirmation code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} required className="code-input" errors={result?.fieldErrors?.code} autoFocus />
          <SubmitButton pendingText="Confirming…">Confirm email</SubmitButton>
        </Form>
        <p className="form-footer">Already confirmed? <Link to="/signin">Sign in</Link></p>
      </div>
    </div>
  );
}
