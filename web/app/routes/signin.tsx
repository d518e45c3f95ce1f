import { Form, Link, redirect, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/signin';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import { SocialButtons } from '../components/social.tsx';
import { getOptionalUser, safeRedirectTo } from '../lib/auth.server.ts';
import { publicEnv } from '../lib/env.server.ts';
import type { ActionResult } from '../lib/forms.server.ts';
import { emailHint, signInAction } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Sign in · Clipforge' }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const url = new URL(request.url);
  const redirectTo = safeRedirectTo(url.searchParams.get('redirectTo'));
  if (await getOptionalUser({ context })) throw redirect(redirectTo);
  return { redirectTo, email: emailHint(request, context), expired: url.searchParams.get('reason') === 'expired', providers: publicEnv().SOCIAL_PROVIDERS };
}

export const action = (args: Route.ActionArgs) => signInAction(args);

export default function SignIn() {
  const { redirectTo, email, expired, providers } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Welcome back</h1>
        <p className="lead">Sign in to turn your videos into clips.</p>
        {expired ? <p className="alert alert-info" role="status">Your session expired. Please sign in again.</p> : null}
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values?.email ?? email} errors={result?.fieldErrors?.email} autoFocus={!email} />
          <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={result?.fieldErrors?.password} autoFocus={!!email} />
          <p className="small" style={{ marginTop: -6 }}><Link to="/forgot">Forgot your password?</Link></p>
          <SubmitButton pendingText="Signing in…">Sign in</SubmitButton>
        </Form>
        <SocialButtons providers={providers} redirectTo={redirectTo} />
        <p className="form-footer">New to Clipforge? <Link to="/signup">Create an account</Link></p>
      </div>
    </div>
  );
}
