import { Outlet } from 'react-router';
import type { Route } from './+types/app-layout';
import { requireUser } from '../lib/auth.server.ts';

/** Every page under this layout needs a signed-in user (expired → sign-in with a return path). */
export const middleware: Route.MiddlewareFunction[] = [
  async (args) => {
    await requireUser(args);
  },
];

export default function AppLayout() {
  return (
    <div className="container page">
      <Outlet />
    </div>
  );
}
