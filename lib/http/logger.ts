import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs (Powertools). Handlers append jobId / userId keys as they learn them. */
export const logger = new Logger({
  serviceName: 'clipforge',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | 'SILENT' | undefined) ?? (process.env.NODE_ENV === 'test' ? 'SILENT' : 'INFO'),
});
