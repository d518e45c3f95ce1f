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
);
