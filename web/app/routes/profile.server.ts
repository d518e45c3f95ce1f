import QRCode from 'qrcode';
import { data, redirect } from 'react-router';
import { z } from 'zod';
import { profileSchema, totpAssociateResponse, totpVerifyBody, totpVerifyResponse, updateProfileBody } from '../../../lib/contracts/auth.ts';
import { api, ApiError, rethrowApi } from '../lib/api.server.ts';
import { requireUser, sessionOf, type Args } from '../lib/auth.server.ts';
import type { ActionResult } from '../lib/forms.server.ts';

export async function profileLoader(args: Args) {
  const me = await api(args, 'GET', '/me', profileSchema).catch(rethrowApi);
  const totp = sessionOf(args.context).get('totp');
  const qr = totp && !me.mfaEnabled ? await QRCode.toString(totp.otpauthUri, { type: 'svg', margin: 1, width: 180, errorCorrectionLevel: 'M' }) : null;
  return {
    me,
    enrolment: totp && !me.mfaEnabled ? { secretCode: totp.secretCode, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(qr ?? '').toString('base64')}` } : null,
  };
}

const intentSchema = z.enum(['name', 'totp-start', 'totp-verify', 'totp-cancel', 'totp-disable', 'signout-everywhere']);

export async function profileAction(args: Args) {
  const form = await args.request.formData();
  const intent = intentSchema.safeParse(form.get('intent'));
  if (!intent.success) return data<ActionResult>({ formError: 'Unknown action.' }, { status: 400 });
  const handle = sessionOf(args.context);
  try {
    switch (intent.data) {
      case 'name': {
        const body = updateProfileBody.safeParse({ name: form.get('name') });
        if (!body.success) return data<ActionResult>({ fieldErrors: { name: ['Enter a name of 1 to 100 characters'] } }, { status: 400 });
        await api(args, 'PATCH', '/me', profileSchema, { body: body.data });
        handle.flash('success', 'Your profile was saved.');
        return redirect('/profile');
      }
      case 'totp-start': {
        const out = await api(args, 'POST', '/me/mfa/totp', totpAssociateResponse);
        handle.set('totp', out);
        return redirect('/profile#security');
      }
      case 'totp-verify': {
        const body = totpVerifyBody.safeParse({ code: form.get('code') });
        if (!body.success) return data<ActionResult>({ fieldErrors: { code: ['Enter the 6-digit code from your authenticator app'] } }, { status: 400 });
        await api(args, 'POST', '/me/mfa/totp/verify', totpVerifyResponse, { body: body.data });
        handle.unset('totp');
        handle.flash('success', 'Two-factor authentication is on. You will be asked for a code when you sign in.');
        return redirect('/profile');
      }
      case 'totp-cancel':
        handle.unset('totp');
        return redirect('/profile');
      case 'totp-disable':
        await api(args, 'DELETE', '/me/mfa', null);
        handle.flash('info', 'Two-factor authentication is off.');
        return redirect('/profile');
      case 'signout-everywhere': {
        // The API records the sign-out (every session's access tokens are refused at once) and
        // asks Cognito to revoke every refresh token (GlobalSignOut; cognito-local lacks it).
        const { tokens } = await requireUser(args);
        await api(args, 'POST', '/auth/logout', null, { body: { refreshToken: tokens.refreshToken, everywhere: true } });
        handle.destroy();
        handle.flash('success', 'You are signed out on every device.');
        return redirect('/signin');
      }
    }
  } catch (e) {
    if (e instanceof ApiError) {
      const field = intent.data === 'totp-verify' && e.status === 400 ? { fieldErrors: { code: [e.message] } } : { formError: e.message };
      return data<ActionResult>(field, { status: e.status >= 500 ? 502 : e.status });
    }
    throw e;
  }
}
