// ESLint (flat config) with typescript-eslint for the backend, scripts, tests, web and extension.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**', '**/node_modules/**', '.serverless/**', '.serverless-test/**', '.esbuild/**', '.local/**',
      'coverage/**', 'artifacts/**', 'web/build/**', 'web/.react-router/**', 'extension/.output/**', 'extension/.wxt/**',
      'resources/*.cjs', 'docs/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  // Type-aware promise rules where a lost promise loses work: production code.
  {
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Import boundaries (docs/architecture.md): production code and scripts never import tests/;
  // the front ends import only the browser-safe contracts and the auth client; the contracts
  // import nothing server-side.
  {
    files: ['lib/**', 'functions/**', 'scripts/**', 'dev/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/tests/**'], message: 'lib/, functions/, scripts/ and dev/ must not import from tests/' }] }] },
  },
  {
    files: ['web/app/**', 'extension/entrypoints/**', 'extension/lib/**', 'extension/utils/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./){2,}lib/(?!contracts/|auth-client/)',
          message: 'the portal and the extension may import only lib/contracts and lib/auth-client',
        }],
      }],
    },
  },
  {
    files: ['lib/contracts/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./', message: 'lib/contracts is browser-safe: it imports only zod and other contracts' }, { group: ['node:*', '@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*'], message: 'lib/contracts is browser-safe' }],
      }],
    },
  },
);
