import { redirect } from 'react-router';
import type { Route } from './+types/billing.return';

/** Stripe Checkout return URL: back to the billing page with the outcome shown. */
export function loader({ request }: Route.LoaderArgs) {
  const status = new URL(request.url).searchParams.get('status') === 'cancel' ? 'cancel' : 'success';
  return redirect(`/billing?checkout=${status}`);
}
