import { isRouteErrorResponse, Links, Meta, NavLink, Outlet, Scripts, ScrollRestoration, useLoaderData, useRouteLoaderData, Form, Link } from 'react-router';
import type { Route } from './+types/root';
import { SessionProvider, useUser, hasRole } from '../../lib/auth-client/react.tsx';
import { getOptionalUser, sessionOf } from './lib/auth.server.ts';
import { publicEnv } from './lib/env.server.ts';
import { sessionMiddleware } from './lib/middleware.server.ts';
import './app.css';

export const middleware: Route.MiddlewareFunction[] = [sessionMiddleware];

export async function loader({ context }: Route.LoaderArgs) {
  const user = await getOptionalUser({ context });
  const flash = sessionOf(context).takeFlash() ?? null;
  return { user, flash, env: publicEnv() };
}

export const links: Route.LinksFunction = () => [{ rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

function Header() {
  const user = useUser();
  const admin = hasRole(user, 'admin');
  return (
    <header className="site-header">
      <div className="container header-row">
        <Link to={user ? '/dashboard' : '/'} className="brand" aria-label="Clipforge home">
          <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="var(--brand)" />
            <path d="M12 9l11 7-11 7z" fill="#fff" />
          </svg>
          <span>Clipforge</span>
        </Link>
        <nav aria-label="Main" className="main-nav">
          {user ? (
            <>
              <NavLink to="/dashboard">Dashboard</NavLink>
              <NavLink to="/jobs" end>Jobs</NavLink>
              <NavLink to="/billing">Plans &amp; billing</NavLink>
              <NavLink to="/profile">Profile</NavLink>
              {admin ? <NavLink to="/admin">Admin</NavLink> : null}
              <Form method="post" action="/signout" className="inline-form" reloadDocument>
                <button type="submit" className="btn btn-ghost btn-sm">Sign out</button>
              </Form>
            </>
          ) : (
            <>
              <NavLink to="/signin">Sign in</NavLink>
              <Link to="/signup" className="btn btn-primary btn-sm">Start free</Link>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}

export default function App() {
  const { user, flash } = useLoaderData<typeof loader>();
  return (
    <SessionProvider user={user}>
      <a href="#main" className="skip-link">Skip to content</a>
      <Header />
      <main id="main" tabIndex={-1}>
        {flash ? (
          <div className="container">
            <p className={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>{flash.message}</p>
          </div>
        ) : null}
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container">© Clipforge · Long videos in, short captioned clips out.</div>
      </footer>
    </SessionProvider>
  );
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const rootData = useRouteLoaderData<typeof loader>('root');
  let title = 'Something went wrong';
  let message = 'An unexpected error occurred. Please try again.';
  let status = 500;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const body = error.data as { message?: string } | string | undefined;
    const detail = typeof body === 'string' ? body : body?.message;
    if (error.status === 404) {
      title = 'Page not found';
      message = detail ?? 'We could not find that page.';
    } else if (error.status === 403) {
      title = 'Access denied';
      message = detail ?? 'You do not have access to this page.';
    } else {
      title = error.status === 503 ? 'Temporarily unavailable' : `Error ${error.status}`;
      message = detail ?? error.statusText ?? message;
    }
  }
  return (
    <SessionProvider user={rootData?.user ?? null}>
      <Header />
      <main id="main" className="container narrow page">
        <div className="card error-card" role="alert">
          <p className="eyebrow">{status}</p>
          <h1>{title}</h1>
          <p>{message}</p>
          <p><Link to={rootData?.user ? '/dashboard' : '/'} className="btn btn-primary">Go back home</Link></p>
        </div>
      </main>
    </SessionProvider>
  );
}
