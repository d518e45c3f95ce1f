import { publicRoute, json } from '../../lib/http/http.ts';
import { checkHealth } from '../../lib/health.ts';

/** GET /health → 200 {status:"ok",checks} or 503 naming the failing dependency. */
export const handler = publicRoute({}, async () => {
  const report = await checkHealth();
  return json(report.status === 'ok' ? 200 : 503, report, { 'cache-control': 'no-store' });
});
