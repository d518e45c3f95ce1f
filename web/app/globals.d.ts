/** Injected by vite.config.ts: the stage's non-secret settings from web/.env.<stage>. */
declare const __STAGE_ENV__: Record<string, string>;
