import { redirect } from 'react-router';
import { z } from 'zod';
import { AuthError } from '../../../lib/auth-client/index.ts';
import { confirmBody, emailSchema, forgotBody, passwordSchema, resetBody, signInBody, signUpBody } from '../../../lib/contracts/auth.ts';
import { cognito, completeSignIn, managerFor, safeRedirectTo, sessionOf, type Args } from '../lib/auth.server.ts';
import { authFailure, formValues, validate } from '../lib/forms.server.ts';

/** Server half of the auth pages (sign up, confirm, sign in, MFA, forgot/reset, sign out). */

export async function signUpAction({ request, context }: Args) {
  const values = formValues(await request.formData(), ['email', 'password', 'name']);
  const v = validate(signUpBody, values, values);
  if (!v.ok) return v.response;
  try {
    await cognito().signUp(v.data);
  } catch (e) {
    return authFailure(e, values, { UsernameExistsException: 'email', InvalidPasswordException: 'password' });
  }
  sessionOf(context).set('pendingEmail', v.data.email);
  return redirect(`/confirm?email=${encodeURIComponent(v.data.email)}`);
}

export async function confirmAction({ request, context }: Args) {
  const values = formValues(await request.formData(), ['email', 'code']);
  const v = validate(confirmBody, values, values);
  if (!v.ok) return v.response;
  try {
    await cognito().confirmSignUp(v.data);
  } catch (e) {
    return authFailure(e, values, { CodeMismatchException: 'code', ExpiredCodeException: 'code' });
  }
  const handle = sessionOf(context);
  handle.set('pendingEmail', v.data.email);
  handle.flash('success', 'Your email is confirmed. Sign in to get started.');
  return redirect(`/signin?email=${encodeURIComponent(v.data.email)}`);
}

export async function signInAction({ request, context }: Args) {
  const form = await request.formData();
  const values = formValues(form, ['email', 'password']);
  const redirectTo = safeRedirectTo(form.get('redirectTo'));
  const v = validate(signInBody, values, values);
  if (!v.ok) return v.response;
  const handle = sessionOf(context);
  let result;
  try {
    result = await cognito().signIn(v.data);
  } catch (e) {
    if (e instanceof AuthError && e.code === 'UserNotConfirmedException') {
      handle.set('pendingEmail', v.data.email);
      handle.flash('info', 'Please confirm your email address first: enter the code we sent you.');
      return redirect(`/confirm?email=${encodeURIComponent(v.data.email)}`);
    }
    return authFailure(e, values);
  }
  if (result.kind === 'mfa') {
    handle.set('mfa', { email: v.data.email, session: result.session, redirectTo, at: Date.now() });
    return redirect('/signin/mfa');
  }
  completeSignIn(handle, result.tokens);
  return redirect(redirectTo);
}

const MFA_WINDOW_MS = 3 * 60_000;

export function mfaLoader({ context }: Pick<Args, 'context'>) {
  const pending = sessionOf(context).get('mfa');
  if (!pending || Date.now() - pending.at > MFA_WINDOW_MS) throw redirect('/signin');
  return { email: pending.email };
}

export async function mfaAction({ request, context }: Args) {
  const handle = sessionOf(context);
  const pending = handle.get('mfa');
  if (!pending || Date.now() - pending.at > MFA_WINDOW_MS) {
    handle.unset('mfa');
    handle.flash('error', 'Your sign-in took too long. Please sign in again.');
    return redirect('/signin');
  }
  const values = formValues(await request.formData(), ['code']);
  const v = validate(z.object({ code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app') }), values, values);
  if (!v.ok) return v.response;
  try {
    const tokens = await cognito().respondToMfa({ email: pending.email, session: pending.session, code: v.data.code });
    completeSignIn(handle, tokens);
  } catch (e) {
    return authFailure(e, values, { CodeMismatchException: 'code', ExpiredCodeException: 'code' });
  }
  return redirect(pending.redirectTo);
}

export async function forgotAction({ request, context }: Args) {
  const values = formValues(await request.formData(), ['email']);
  const v = validate(forgotBody, values, values);
  if (!v.ok) return v.response;
  try {
    await cognito().forgotPassword(v.data.email);
  } catch (e) {
    // Same answer whether or not the account exists.
    if (!(e instanceof AuthError && (e.code === 'UserNotFoundException' || e.code === 'InvalidParameterException'))) return authFailure(e, values);
  }
  const handle = sessionOf(context);
  handle.set('pendingEmail', v.data.email);
  handle.flash('info', 'If an account exists for that email, we sent it a reset code.');
  return redirect(`/reset?email=${encodeURIComponent(v.data.email)}`);
}

export async function resetAction({ request, context }: Args) {
  const values = formValues(await request.formData(), ['email', 'code', 'password']);
  const v = validate(resetBody, values, values);
  if (!v.ok) return v.response;
  try {
    await cognito().confirmForgotPassword(v.data);
  } catch (e) {
    return authFailure(e, values, { CodeMismatchException: 'code', ExpiredCodeException: 'code', InvalidPasswordException: 'password' });
  }
  sessionOf(context).flash('success', 'Your password was changed. Sign in with the new one.');
  return redirect(`/signin?email=${encodeURIComponent(v.data.email)}`);
}

export async function signOutAction({ context }: Pick<Args, 'context'>) {
  const handle = sessionOf(context);
  await managerFor(handle).signOut();
  handle.destroy();
  handle.flash('success', 'You are signed out.');
  return redirect('/signin');
}

/** Pre-fills an email from the query string or the pending sign-up/reset. */
export function emailHint(request: Request, context: Args['context']): string {
  const fromQuery = new URL(request.url).searchParams.get('email');
  const candidate = fromQuery ?? sessionOf(context).get('pendingEmail') ?? '';
  return emailSchema.safeParse(candidate).success ? candidate : '';
}

export { passwordSchema };
