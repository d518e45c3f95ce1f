import os from 'node:os';
import path from 'node:path';
import { config } from '../config/index.ts';
import { s3 } from '../aws/clients.ts';
import { probe, extractAudio, extractSubtitleTrack, detectSilences } from '../media/ffmpeg.ts';
import { renderClip } from '../media/render.ts';
import { downloadToS3 } from '../media/download.ts';
import { orYtDlp, ytDlpProbe, ytDlpToS3 } from '../media/ytdlp.ts';
import { transcriptionAvailable, transcribe } from '../ai/transcribe.ts';
import { selectClips } from '../ai/select.ts';
import * as billing from '../billing/index.ts';
import { publish } from './publisher.ts';
import { dynamoJobStore } from './store.ts';
import { s3Storage } from './storage.ts';
import { probeRemote } from './remote-probe.ts';
import type { Deps } from './ports.ts';

/** Production wiring of the orchestration ports: lib/media, lib/ai, lib/billing, S3, SNS, DynamoDB. */
let cached: Deps | undefined;

export function productionDeps(): Deps {
  if (cached) return cached;
  const c = config();
  cached = {
    store: dynamoJobStore,
    events: { publish },
    clock: { now: () => new Date() },
    workDir: path.join(os.tmpdir(), 'clipforge-jobs'),
    storage: s3Storage(s3(), c.MEDIA_BUCKET),
    media: {
      probe: (input) => probe(input),
      // A page URL (not a media file) goes to the optional yt-dlp provider when it is on.
      probeRemote: (url) =>
        orYtDlp(
          () => probeRemote(url, { allowHosts: c.DOWNLOAD_ALLOW_HOSTS, timeoutMs: 20_000, probe: (local) => probe(local) }),
          () => ytDlpProbe(url, { allowHosts: c.DOWNLOAD_ALLOW_HOSTS, timeoutMs: 60_000 }),
        ),
      downloadToS3: (url, o) =>
        orYtDlp(
          () => downloadToS3(url, { ...o, maxBytes: c.DOWNLOAD_MAX_BYTES, allowHosts: c.DOWNLOAD_ALLOW_HOSTS }),
          () => ytDlpToS3(url, { ...o, maxBytes: c.DOWNLOAD_MAX_BYTES, allowHosts: c.DOWNLOAD_ALLOW_HOSTS }),
        ),
      extractAudio,
      extractSubtitleTrack,
      detectSilences: (input) => detectSilences(input),
      renderClip,
    },
    ai: { transcriptionAvailable, transcribe, selectClips },
    billing: {
      creditsForDuration: billing.creditsForDuration,
      reserveCredits: (i) => billing.reserveCredits(i),
      settleCredits: (i) => billing.settleCredits(i),
      refundCredits: (i) => billing.refundCredits(i),
      getBalance: async (userId) => (await billing.getBalance(userId)).balance,
      getAccount: (userId) => billing.getAccount(userId),
    },
  };
  return cached;
}
