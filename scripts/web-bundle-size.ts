/**
 * First-load JavaScript per portal route, gzip-compressed, from the production build's manifest:
 * the entry chunk plus every module and import a route needs before it can hydrate (the root
 * route included). Target: ≤ 150 KB for the landing and sign-in pages.
 *
 *   npm run size:web            (builds web/ first)
 *   node scripts/web-bundle-size.ts --no-build [--json]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '..');
const WEB = join(ROOT, 'web');
const CLIENT = join(WEB, 'build', 'client');
const BUDGET_KB = 150;
const BUDGETED = ['routes/home', 'routes/signin'];

interface ManifestRoute {
  id: string;
  path?: string;
  index?: boolean;
  parentId?: string;
  module: string;
  imports?: string[];
}
interface BrowserManifest {
  entry: { module: string; imports: string[] };
  routes: Record<string, ManifestRoute>;
}

/** The browser manifest is written as `window.__reactRouterManifest={...}` in assets/manifest-*.js. */
export function readBrowserManifest(clientDir = CLIENT): BrowserManifest {
  const assets = join(clientDir, 'assets');
  const file = readdirSync(assets).find((f) => /^manifest-.*\.js$/.test(f));
  if (!file) throw new Error(`No manifest in ${assets}: build the portal first (npm run build -w web)`);
  const text = readFileSync(join(assets, file), 'utf8');
  const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  return JSON.parse(json) as BrowserManifest;
}

export function gzipSize(clientDir: string, urlPath: string, cache = new Map<string, number>()): number {
  const hit = cache.get(urlPath);
  if (hit !== undefined) return hit;
  const size = gzipSync(readFileSync(join(clientDir, urlPath.replace(/^\//, '')))).length;
  cache.set(urlPath, size);
  return size;
}

/** Every JS file the browser loads for the first render of `routeId`. */
export function firstLoadFiles(manifest: BrowserManifest, routeId: string): string[] {
  const files = new Set<string>([manifest.entry.module, ...manifest.entry.imports]);
  for (let id: string | undefined = routeId; id; id = manifest.routes[id]?.parentId) {
    const r = manifest.routes[id];
    if (!r) break;
    files.add(r.module);
    for (const i of r.imports ?? []) files.add(i);
  }
  return [...files];
}

export function report(clientDir = CLIENT) {
  const manifest = readBrowserManifest(clientDir);
  const cache = new Map<string, number>();
  return Object.values(manifest.routes)
    .filter((r) => r.id !== 'root')
    .map((r) => {
      const files = firstLoadFiles(manifest, r.id);
      const bytes = files.reduce((a, f) => a + gzipSize(clientDir, f, cache), 0);
      const budgeted = BUDGETED.includes(r.id);
      return { route: r.id, path: r.index ? '/' : `/${r.path ?? ''}`, files: files.length, gzipKB: Math.round((bytes / 1024) * 10) / 10, budgetKB: budgeted ? BUDGET_KB : null, ok: !budgeted || bytes / 1024 <= BUDGET_KB };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

function main(): void {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  if (!values['no-build']) {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@react-router', 'dev', 'bin.cjs'), 'build'], { cwd: WEB, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const rows = report();
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log('\nFirst-load JS per route (gzip)\n');
    console.log('route'.padEnd(34) + 'path'.padEnd(46) + 'KB'.padStart(8) + '  budget');
    for (const r of rows) {
      console.log(r.route.padEnd(34) + r.path.padEnd(46) + r.gzipKB.toFixed(1).padStart(8) + '  ' + (r.budgetKB ? `${r.ok ? 'ok' : 'OVER'} (≤ ${r.budgetKB})` : ''));
    }
  }
  if (rows.some((r) => !r.ok)) {
    console.error(`\nOver budget: ${rows.filter((r) => !r.ok).map((r) => r.route).join(', ')}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
