import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';

/**
 * Build-time stage configuration: `scripts/stage-env.ts` writes web/.env.<stage> from the stage's
 * CloudFormation outputs. Only these non-secret keys are baked into the SERVER bundle (as
 * __STAGE_ENV__, read by app/lib/env.server.ts); process.env still wins at run time. Nothing here
 * reaches the browser: the root loader passes a whitelist (app/lib/env.server.ts publicEnv()).
 */
const STAGE_KEYS = ['STAGE', 'API_URL', 'WS_URL', 'AWS_REGION', 'USER_POOL_ID', 'USER_POOL_CLIENT_ID', 'COGNITO_DOMAIN', 'SOCIAL_PROVIDERS', 'PORTAL_URL'];

function stageEnv(stage: string): Record<string, string> {
  const file = join(import.meta.dirname, `.env.${stage}`);
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1] || !STAGE_KEYS.includes(m[1])) continue;
    out[m[1]] = (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

export default defineConfig(() => {
  const stage = process.env.STAGE ?? 'local';
  return {
    plugins: [reactRouter()],
    define: { __STAGE_ENV__: JSON.stringify(stageEnv(stage)) },
    server: { port: Number(process.env.PORT ?? 5173), strictPort: true },
    build: { sourcemap: false },
  };
});
