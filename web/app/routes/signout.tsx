import { redirect } from 'react-router';
import type { Route } from './+types/signout';
import { signOutAction } from './auth.server.ts';

/** POST only (a GET must not sign anyone out: links can be forged). */
export const loader = () => redirect('/');
export const action = ({ context }: Route.ActionArgs) => signOutAction({ context });
