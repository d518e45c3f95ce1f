import { type RouteConfig, index, layout, route } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('signup', 'routes/signup.tsx'),
  route('confirm', 'routes/confirm.tsx'),
  route('signin', 'routes/signin.tsx'),
  route('signin/mfa', 'routes/mfa.tsx'),
  route('forgot', 'routes/forgot.tsx'),
  route('reset', 'routes/reset.tsx'),
  route('signout', 'routes/signout.tsx'),
  route('auth/social/:provider', 'routes/auth.social.tsx'),
  route('auth/callback', 'routes/auth.callback.tsx'),
  layout('routes/app-layout.tsx', [
    route('dashboard', 'routes/dashboard.tsx'),
    route('profile', 'routes/profile.tsx'),
    route('billing', 'routes/billing.tsx'),
    route('billing/return', 'routes/billing.return.tsx'),
    route('jobs', 'routes/jobs.tsx'),
    route('jobs/new', 'routes/jobs.new.tsx'),
    route('jobs/:jobId', 'routes/jobs.$jobId.tsx'),
    route('admin', 'routes/admin.tsx'),
  ]),
  route('resources/realtime-token', 'routes/resources.realtime-token.ts'),
  route('resources/upload', 'routes/resources.upload.ts'),
  route('resources/jobs/:jobId/clips/:clipId/:format', 'routes/resources.clip-download.ts'),
  route('healthz', 'routes/healthz.ts'),
  route('favicon.ico', 'routes/favicon.ts'),
] satisfies RouteConfig;
