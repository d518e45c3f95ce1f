import OpenAI from 'openai';
import { envSchema } from '../config/index.ts';

/**
 * The OpenAI client. OPENAI_BASE_URL points it at any OpenAI-compatible server (locally: the test
 * double in dev/doubles/openai.ts). Only the AI settings are parsed here, so the AI code
 * runs in scripts and tests that do not have the whole app configuration.
 */
const aiEnv = envSchema.pick({
  OPENAI_API_KEY: true,
  OPENAI_BASE_URL: true,
  OPENAI_TRANSCRIBE_MODEL: true,
  OPENAI_SELECT_MODEL: true,
  OPENAI_TRANSCRIBE_CHUNK_BYTES: true,
});
export type AiSettings = ReturnType<typeof aiEnv.parse>;

export function aiSettings(env: Record<string, string | undefined> = process.env): AiSettings {
  return aiEnv.parse(env);
}

const clients = new Map<string, OpenAI>();

/** A client for the configured key and base URL (cached); undefined when no key is set. */
export function openaiClient(settings: AiSettings = aiSettings()): OpenAI | undefined {
  if (!settings.OPENAI_API_KEY) return undefined;
  const id = `${settings.OPENAI_BASE_URL ?? ''}|${settings.OPENAI_API_KEY}`;
  let client = clients.get(id);
  if (!client) {
    client = new OpenAI({
      apiKey: settings.OPENAI_API_KEY,
      ...(settings.OPENAI_BASE_URL ? { baseURL: settings.OPENAI_BASE_URL } : {}),
      maxRetries: 2,
      timeout: 10 * 60_000,
    });
    clients.set(id, client);
  }
  return client;
}
