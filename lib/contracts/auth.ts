import { z } from 'zod';
import type { RouteSpec } from './routes.ts';

/**
 * Identity API contract (browser-safe: zod only). The portal and the extension validate forms with
 * these schemas, the handlers validate requests with them, and the OpenAPI generator reads
 * `authRoutes`.
 */

/** Error codes of the identity API, in addition to the generic ones in errors.ts. */
export const AuthErrorCode = {
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  USER_NOT_CONFIRMED: 'USER_NOT_CONFIRMED',
  ALREADY_CONFIRMED: 'ALREADY_CONFIRMED',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  CODE_MISMATCH: 'CODE_MISMATCH',
  CODE_EXPIRED: 'CODE_EXPIRED',
  PASSWORD_RESET_REQUIRED: 'PASSWORD_RESET_REQUIRED',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  MFA_NOT_ENROLLED: 'MFA_NOT_ENROLLED',
} as const;

/** The user pool's password policy (resources/cognito.yml), stated once for clients and the API. */
export const PASSWORD_POLICY = {
  minLength: 12,
  description:
    'at least 12 characters with an uppercase letter, a lowercase letter, a number and a symbol',
} as const;

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'Must be a valid email address' }).max(254));

/** Mirrors Cognito's password policy so weak passwords get a 400 naming the policy. */
export const passwordSchema = z
  .string()
  .max(256)
  .superRefine((value, ctx) => {
    const ok =
      value.length >= PASSWORD_POLICY.minLength &&
      /[a-z]/.test(value) &&
      /[A-Z]/.test(value) &&
      /[0-9]/.test(value) &&
      /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(value) &&
      !/^\s|\s$/.test(value);
    if (!ok) ctx.addIssue({ code: 'custom', message: `Password must be ${PASSWORD_POLICY.description}` });
  });

const code = z.string().trim().regex(/^\d{6}$/, 'Must be the 6-digit code');
const nameSchema = z.string().trim().min(1).max(100);

export const signUpBody = z.strictObject({ email: emailSchema, password: passwordSchema, name: nameSchema });
export const signUpResponse = z.object({ userSub: z.string(), confirmed: z.boolean() });

export const confirmBody = z.strictObject({ email: emailSchema, code });
export const confirmResponse = z.object({ confirmed: z.literal(true) });

export const signInBody = z.strictObject({ email: emailSchema, password: z.string().min(1).max(256) });
export const tokensResponse = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string().optional(),
  expiresIn: z.number().int(),
  tokenType: z.literal('Bearer'),
});
export const mfaChallengeResponse = z.object({
  challenge: z.literal('SOFTWARE_TOKEN_MFA'),
  session: z.string(),
});
export const signInResponse = z.union([tokensResponse, mfaChallengeResponse]);

export const mfaBody = z.strictObject({ email: emailSchema, session: z.string().min(1).max(4096), code });

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(8192) });
export const logoutBody = z.strictObject({
  refreshToken: z.string().min(1).max(8192),
  /** Sign out of every device: every sign-in before now ends, not only this session. */
  everywhere: z.boolean().optional(),
});

export const forgotBody = z.strictObject({ email: emailSchema });
export const forgotResponse = z.object({ message: z.string() });
export const resetBody = z.strictObject({ email: emailSchema, code, password: passwordSchema });
export const resetResponse = z.object({ reset: z.literal(true) });

export const profileSchema = z.object({
  sub: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  name: z.string().optional(),
  locale: z.string().optional(),
  tier: z.string().optional(),
  groups: z.array(z.string()),
  roles: z.array(z.enum(['admin', 'support', 'user'])),
  mfaEnabled: z.boolean(),
});
export type Profile = z.infer<typeof profileSchema>;

/** Only these attributes are user-editable; anything else is a 400. */
export const updateProfileBody = z
  .strictObject({
    name: nameSchema.optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'Must be a BCP 47 language tag such as en or pt-BR')
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to update' });

export const totpAssociateResponse = z.object({ secretCode: z.string(), otpauthUri: z.string() });
export const totpVerifyBody = z.strictObject({ code, deviceName: z.string().trim().min(1).max(64).optional() });
export const totpVerifyResponse = z.object({ mfaEnabled: z.literal(true) });

export const adminUsersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(60).default(50),
  paginationToken: z.string().min(1).max(2048).optional(),
  /** Prefix of the email address. */
  email: z.string().trim().min(1).max(254).regex(/^[^"\\]+$/, 'Must not contain quotes or backslashes').optional(),
});
export const adminUserSchema = z.object({
  sub: z.string(),
  email: z.string().optional(),
  name: z.string().optional(),
  status: z.string(),
  enabled: z.boolean(),
  createdAt: z.string().optional(),
});
export const adminUsersResponse = z.object({ users: z.array(adminUserSchema), paginationToken: z.string().optional() });

export type SignUpBody = z.infer<typeof signUpBody>;
export type ConfirmBody = z.infer<typeof confirmBody>;
export type SignInBody = z.infer<typeof signInBody>;
export type MfaBody = z.infer<typeof mfaBody>;
export type RefreshBody = z.infer<typeof refreshBody>;
export type ForgotBody = z.infer<typeof forgotBody>;
export type ResetBody = z.infer<typeof resetBody>;
export type Tokens = z.infer<typeof tokensResponse>;
export type SignInResult = z.infer<typeof signInResponse>;
export type UpdateProfileBody = z.infer<typeof updateProfileBody>;
export type AdminUsersQuery = z.infer<typeof adminUsersQuery>;
export type AdminUsers = z.infer<typeof adminUsersResponse>;

const limited = { 429: 'error' } as const;

export const authRoutes: RouteSpec[] = [
  { method: 'POST', path: '/auth/signup', auth: 'public', summary: 'Create an account (email + password); sends a confirmation code', body: signUpBody, responses: { 201: signUpResponse, 400: 'error', 409: 'error', ...limited } },
  { method: 'POST', path: '/auth/confirm', auth: 'public', summary: 'Confirm an account with the emailed code', body: confirmBody, responses: { 200: confirmResponse, 400: 'error', 409: 'error', ...limited } },
  { method: 'POST', path: '/auth/signin', auth: 'public', summary: 'Sign in; returns tokens or a SOFTWARE_TOKEN_MFA challenge', body: signInBody, responses: { 200: signInResponse, 400: 'error', 401: 'error', 403: 'error', ...limited } },
  { method: 'POST', path: '/auth/mfa', auth: 'public', summary: 'Answer the TOTP challenge of a sign-in', body: mfaBody, responses: { 200: tokensResponse, 400: 'error', 401: 'error', ...limited } },
  { method: 'POST', path: '/auth/refresh', auth: 'public', summary: 'New access and ID tokens from a refresh token', body: refreshBody, responses: { 200: tokensResponse, 400: 'error', 401: 'error', ...limited } },
  { method: 'POST', path: '/auth/forgot', auth: 'public', summary: 'Start a password reset (same answer whether or not the account exists)', body: forgotBody, responses: { 202: forgotResponse, 400: 'error', ...limited } },
  { method: 'POST', path: '/auth/reset', auth: 'public', summary: 'Set a new password with the emailed code', body: resetBody, responses: { 200: resetResponse, 400: 'error', ...limited } },
  { method: 'POST', path: '/auth/logout', auth: 'user', summary: 'Sign out: revoke the refresh token and end the access tokens of this session at once (everywhere: true ends every session of the user)', body: logoutBody, responses: { 204: 'empty', 400: 'error', 401: 'error' } },
  { method: 'GET', path: '/me', auth: 'user', summary: 'The signed-in user: profile, groups, roles, MFA state', responses: { 200: profileSchema, 401: 'error' } },
  { method: 'PATCH', path: '/me', auth: 'user', summary: 'Update the allowed profile attributes (name, locale)', body: updateProfileBody, responses: { 200: profileSchema, 400: 'error', 401: 'error' } },
  { method: 'POST', path: '/me/mfa/totp', auth: 'user', summary: 'Start TOTP enrolment: a secret and an otpauth:// URI for authenticator apps', responses: { 200: totpAssociateResponse, 401: 'error' } },
  { method: 'POST', path: '/me/mfa/totp/verify', auth: 'user', summary: 'Finish TOTP enrolment with a current code; enables TOTP MFA', body: totpVerifyBody, responses: { 200: totpVerifyResponse, 400: 'error', 401: 'error' } },
  { method: 'DELETE', path: '/me/mfa', auth: 'user', summary: 'Disable TOTP MFA', responses: { 204: 'empty', 401: 'error' } },
  { method: 'GET', path: '/admin/users', auth: 'admin', summary: 'List users (admin group only)', query: adminUsersQuery, responses: { 200: adminUsersResponse, 400: 'error', 401: 'error', 403: 'error' } },
];
