import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/forgot';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import type { ActionResult } from '../lib/forms.server.ts';
import { emailHint, forgotAction } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Reset your password · Clipforge' }];
export const loader = ({ request, context }: Route.LoaderArgs) => ({ email: emailHint(request, context) });
export const action = (args: Route.ActionArgs) => forgotAction(args);

export default function Forgot() {
  const { email } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Forgot your password?</h1>
        <p className="lead">We will email you a code to set a new one.</p>
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values?.email ?? email} errors={result?.fieldErrors?.email} autoFocus />
          <SubmitButton pendingText="Sending…">Send reset code</SubmitButton>
        </Form>
        <p className="form-footer"><Link to="/signin">Back to sign in</Link></p>
      </div>
    </div>
  );
}
