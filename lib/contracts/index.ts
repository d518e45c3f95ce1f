export * from './errors.ts';
export * from './job-events.ts';
