/**
 * Builds and zips the extension (Chrome and Firefox) into a temporary folder and reports the
 * sizes: each zip and the largest files of the Chrome build. Fails when the Chrome zip is over
 * the budget (150 KB). Uses the WXT_ variables from the environment when set; sizes do not
 * depend on their values, so placeholders are used otherwise.
 *
 *   npm run size:extension [-- --budget-kb 150 --json]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

const PLACEHOLDERS: Record<string, string> = {
  WXT_API_URL: 'https://api.dev.clipforge.example',
  WXT_WS_URL: 'wss://ws.dev.clipforge.example/dev',
  WXT_USER_POOL_ID: 'us-east-1_Example1',
  WXT_USER_POOL_CLIENT_ID: 'exampleclientid0000000000',
  WXT_PORTAL_URL: 'https://dev.app.clipforge.example',
  WXT_AUTH_DOMAIN: 'clipforge-dev.auth.us-east-1.amazoncognito.com',
};

function files(dir: string): { path: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : [{ path: p, bytes: statSync(p).size }];
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'budget-kb': { type: 'string', default: '150' }, json: { type: 'boolean', default: false } } });
  const budget = Number(values['budget-kb']) * 1024;
  const out = mkdtempSync(join(tmpdir(), 'clipforge-ext-size-'));
  try {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), EXTENSION_OUT_DIR: out };
    for (const [k, v] of Object.entries(PLACEHOLDERS)) env[k] = process.env[k] || v;
    if (process.env.WXT_COGNITO_ENDPOINT) env.WXT_COGNITO_ENDPOINT = process.env.WXT_COGNITO_ENDPOINT;
    const wxt = join(ROOT, 'node_modules', 'wxt', 'bin', 'wxt.mjs');
    for (const browser of ['chrome', 'firefox']) {
      await run(process.execPath, [wxt, 'zip', '-b', browser], { cwd: join(ROOT, 'extension'), env, timeout: 180_000 });
    }
    const all = readdirSync(out);
    const zipOf = (browser: string) => {
      const name = all.find((f) => f.endsWith(`-${browser}.zip`));
      if (!name) throw new Error(`no ${browser} zip in ${out}: ${all.join(', ')}`);
      return { name, bytes: statSync(join(out, name)).size };
    };
    const chrome = zipOf('chrome');
    const firefox = zipOf('firefox');
    const chromeDir = join(out, 'chrome-mv3');
    const unpacked = files(chromeDir).sort((a, b) => b.bytes - a.bytes);
    const report = {
      chromeZipBytes: chrome.bytes,
      firefoxZipBytes: firefox.bytes,
      chromeUnpackedBytes: unpacked.reduce((s, f) => s + f.bytes, 0),
      budgetBytes: budget,
      largest: unpacked.slice(0, 8).map((f) => ({ file: relative(chromeDir, f.path), bytes: f.bytes })),
    };
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`Chrome zip   ${kb(report.chromeZipBytes)}  (budget ${kb(budget)})`);
      console.log(`Firefox zip  ${kb(report.firefoxZipBytes)}`);
      console.log(`Chrome unpacked ${kb(report.chromeUnpackedBytes)}; largest files:`);
      for (const f of report.largest) console.log(`  ${kb(f.bytes).padStart(9)}  ${f.file}`);
    }
    if (chrome.bytes > budget) {
      console.error(`Chrome zip is ${kb(chrome.bytes)}, over the ${kb(budget)} budget`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
