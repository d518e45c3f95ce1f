import { defineConfig } from 'wxt';
import { isLocalBuild, originPattern } from './utils/config.ts';

/**
 * One source, two builds: Chrome (MV3, service worker) and Firefox (MV2, event page; host
 * permissions granted at install). Per-stage values come ONLY from WXT_ variables (see
 * docs/extension.md); the version comes from package.json.
 *
 * Permissions, each for one reason:
 * - storage: tokens in storage.session (memory only), clip options in storage.local
 * - alarms: refresh the access token before it expires, even after the worker was stopped
 * - identity: the hosted UI (social sign-in) through identity.launchWebAuthFlow
 * - activeTab + scripting: read the videos of the tab the user clicked the toolbar button in,
 *   without a blanket host permission; known video sites get the content script statically
 * - host permissions: the stage's API and Cognito endpoints only (WebSockets need none)
 */
const env = process.env;

function hostPermissions(): string[] {
  const urls = [env.WXT_API_URL, env.WXT_COGNITO_ENDPOINT, env.WXT_AUTH_DOMAIN && (/^https?:/.test(env.WXT_AUTH_DOMAIN) ? env.WXT_AUTH_DOMAIN : `https://${env.WXT_AUTH_DOMAIN}`)];
  if (!env.WXT_COGNITO_ENDPOINT && env.WXT_USER_POOL_ID) {
    const region = /^([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(env.WXT_USER_POOL_ID)?.[1] ?? 'us-east-1';
    urls.push(`https://cognito-idp.${region}.amazonaws.com/`);
  }
  return [...new Set(urls.filter((u): u is string => Boolean(u)).map(originPattern))];
}

/** Local-stage builds also run the content script on loopback pages (the dev/test video pages). */
const LOCAL_PAGE_MATCHES = ['http://localhost/*', 'http://127.0.0.1/*'];

export default defineConfig({
  imports: false,
  outDir: env.EXTENSION_OUT_DIR || '.output',
  manifest: ({ browser }) => ({
    name: 'Clipforge — clip this video',
    short_name: 'Clipforge',
    description: 'Turn the video you are watching into short, captioned clips.',
    permissions: ['storage', 'alarms', 'identity', 'activeTab', 'scripting'],
    host_permissions: hostPermissions(),
    action: { default_title: 'Clipforge' },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: { id: 'extension@clipforge.example', strict_min_version: '115.0' },
          },
        }
      : { minimum_chrome_version: '116' }),
  }),
  hooks: {
    'build:manifestGenerated': (_wxt, manifest) => {
      if (!isLocalBuild(env.WXT_API_URL)) return;
      for (const script of manifest.content_scripts ?? []) {
        script.matches = [...new Set([...(script.matches ?? []), ...LOCAL_PAGE_MATCHES])];
      }
    },
  },
  zip: {
    name: 'clipforge-extension',
    artifactTemplate: '{{name}}-{{version}}-{{browser}}.zip',
    sourcesTemplate: '{{name}}-{{version}}-sources.zip',
    // Store reviewers rebuild from sources: the extension imports the shared lib/ modules, so the
    // sources zip is taken from the repository root and holds exactly what the build reads.
    sourcesRoot: '..',
    includeSources: [
      'extension/**',
      'lib/contracts/**',
      'lib/auth-client/**',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'docs/extension.md',
    ],
    excludeSources: ['**/node_modules/**', 'extension/.output/**', 'extension/.wxt/**', '**/*.tsx'],
  },
});
