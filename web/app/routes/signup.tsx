import { Form, Link, redirect, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/signup';
import { Field, FormError, SubmitButton } from '../components/forms.tsx';
import { SocialButtons } from '../components/social.tsx';
import { getOptionalUser } from '../lib/auth.server.ts';
import { publicEnv } from '../lib/env.server.ts';
import type { ActionResult } from '../lib/forms.server.ts';
import { signUpAction } from './auth.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Create your account · Clipforge' }];

export async function loader({ context }: Route.LoaderArgs) {
  if (await getOptionalUser({ context })) throw redirect('/dashboard');
  return { providers: publicEnv().SOCIAL_PROVIDERS };
}

export const action = (args: Route.ActionArgs) => signUpAction(args);

export default function SignUp() {
  const { providers } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  return (
    <div className="container narrow page">
      <div className="card auth-card">
        <h1>Create your account</h1>
        <p className="lead">Free plan included. No card needed.</p>
        <FormError message={result?.formError} />
        <Form method="post" noValidate>
          <Field label="Name" name="name" autoComplete="name" required defaultValue={result?.values?.name} errors={result?.fieldErrors?.name} autoFocus />
          <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values?.email} errors={result?.fieldErrors?.email} />
          <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={12} errors={result?.fieldErrors?.password} hint="At least 12 characters with upper and lower case letters, a number and a symbol." />
          <SubmitButton pendingText="Creating your account…">Create account</SubmitButton>
        </Form>
        <SocialButtons providers={providers} />
        <p className="form-footer">Already have an account? <Link to="/signin">Sign in</Link></p>
      </div>
    </div>
  );
}
