import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { STAGES, jobEventSchema, type JobEvent } from '../../../lib/contracts/job-events.ts';
import { makeEvent, type NewJobEvent } from '../../../lib/jobs/publisher.ts';
import type { ClipRecord, JobRecord, JobStore, CreateResult } from '../../../lib/jobs/store.ts';
import type { AccountLimits, AiPort, BillingPort, Deps, MediaInfo, MediaPort, StoragePort } from '../../../lib/jobs/ports.ts';
import { PaymentRequiredError } from '../../../lib/http/errors.ts';

/**
 * In-memory ports for unit tests. The fake store keeps the same conditional semantics as the
 * DynamoDB one (a transition applies only from the expected state), so duplicates and races can
 * be tested without a database.
 */
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryStore implements JobStore {
  jobs = new Map<string, JobRecord>();
  clips = new Map<string, ClipRecord>();
  slots = new Map<string, number>();
  keys = new Map<string, { jobId: string; requestHash: string }>();

  /** Like the DynamoDB store, a failed or cancelled finish refunds the job's hold (in the same write there). */
  private readonly billing: Pick<BillingPort, 'refundCredits'> | undefined;
  constructor(billing?: Pick<BillingPort, 'refundCredits'>) {
    this.billing = billing;
  }

  private k = (userId: string, jobId: string) => `${userId}/${jobId}`;
  private live = (j: JobRecord) => j.status === 'queued' || j.status === 'running';

  async create(job: Parameters<JobStore['create']>[0], opts: Parameters<JobStore['create']>[1]): Promise<CreateResult> {
    if (opts.idempotency) {
      const existing = this.keys.get(`${job.userId}/${opts.idempotency.key}`);
      if (existing) return { created: false, reason: 'idempotent', ...existing };
    }
    if ((this.slots.get(job.userId) ?? 0) >= opts.maxActive) return { created: false, reason: 'slots' };
    const record = {
      userId: job.userId, jobId: job.jobId, status: 'queued', progress: 0, seq: 1, source: job.source, options: job.options,
      limits: job.limits, durationSeconds: job.durationSeconds, creditsReserved: job.creditsReserved, artifacts: {}, notices: [],
      stages: Object.fromEntries(STAGES.map((s) => [s, { status: 'pending' }])), clipCount: 0, clipsDone: 0, clipsFailed: 0,
      createdAt: job.now, updatedAt: job.now, deadlineAt: job.deadlineAt, created: job.now, modified: job.now,
    } as JobRecord;
    this.jobs.set(this.k(job.userId, job.jobId), record);
    this.slots.set(job.userId, (this.slots.get(job.userId) ?? 0) + 1);
    if (opts.idempotency) this.keys.set(`${job.userId}/${opts.idempotency.key}`, { jobId: job.jobId, requestHash: opts.idempotency.requestHash });
    return { created: true, job: clone(record) };
  }

  async discard(job: Pick<JobRecord, 'userId' | 'jobId'>, key?: string) {
    this.jobs.delete(this.k(job.userId, job.jobId));
    this.slots.set(job.userId, Math.max(0, (this.slots.get(job.userId) ?? 0) - 1));
    if (key) this.keys.delete(`${job.userId}/${key}`);
  }

  async get(userId: string, jobId: string) {
    const j = this.jobs.get(this.k(userId, jobId));
    return j ? clone(j) : undefined;
  }

  async list(userId: string, limit: number, cursor?: string) {
    const all = [...this.jobs.values()].filter((j) => j.userId === userId).sort((a, b) => (a.jobId < b.jobId ? 1 : -1));
    const start = cursor ? all.findIndex((j) => j.jobId === cursor) + 1 : 0;
    const items = all.slice(start, start + limit);
    return { items: items.map(clone), nextCursor: start + limit < all.length ? (items.at(-1)?.jobId ?? null) : null };
  }

  private mutate(userId: string, jobId: string, ok: (j: JobRecord) => boolean, change: (j: JobRecord) => void): JobRecord | null {
    const j = this.jobs.get(this.k(userId, jobId));
    if (!j || !ok(j)) return null;
    change(j);
    j.seq += 1;
    return clone(j);
  }

  async advance(...[job, from, patch, now, deadlineAt, close]: Parameters<JobStore['advance']>) {
    return this.mutate(job.userId, job.jobId, (j) => j.status === from.status && (j.stage ?? null) === from.stage, (j) => {
      j.status = patch.status;
      if (patch.stage) j.stage = patch.stage;
      else delete j.stage;
      j.progress = patch.progress;
      if (patch.clipCount !== undefined) j.clipCount = patch.clipCount;
      if (close) j.stages[close.stage] = { ...j.stages[close.stage]!, status: 'succeeded', finishedAt: now, ms: close.ms };
      if (patch.stage && patch.stage !== from.stage) j.stages[patch.stage] = { ...j.stages[patch.stage]!, status: 'pending', requestedAt: now };
      j.updatedAt = now;
      j.deadlineAt = deadlineAt;
    });
  }

  async finish(...[job, patch, now, from]: Parameters<JobStore['finish']>) {
    const out = this.mutate(
      job.userId,
      job.jobId,
      (j) => (from ? j.status === from.status && (j.stage ?? null) === from.stage : this.live(j)),
      (j) => {
        j.status = patch.status;
        if (patch.stage) j.stage = patch.stage;
        j.progress = patch.progress;
        if (patch.error) j.error = patch.error;
        if (patch.creditsCharged !== undefined) j.creditsCharged = patch.creditsCharged;
        j.updatedAt = now;
        j.finishedAt = now;
        delete j.deadlineAt;
      },
    );
    if (out) this.slots.set(job.userId, Math.max(0, (this.slots.get(job.userId) ?? 0) - 1));
    if (out && patch.status !== 'succeeded') await this.billing?.refundCredits({ userId: job.userId, jobId: job.jobId, reason: patch.error?.code ?? patch.status });
    return out;
  }

  async countClip(...[job, clipId, ok, now]: Parameters<JobStore['countClip']>) {
    return this.mutate(
      job.userId,
      job.jobId,
      (j) => j.status === 'running' && j.stage === job.stage && !(j.countedClips ?? new Set()).has(clipId),
      (j) => {
        j.countedClips = new Set([...(j.countedClips ?? []), clipId]);
        if (ok) j.clipsDone += 1;
        else j.clipsFailed += 1;
        j.updatedAt = now;
      },
    );
  }

  async stageStarted(...[job, stage, now]: Parameters<JobStore['stageStarted']>) {
    return !!this.mutate(job.userId, job.jobId, (j) => j.status === 'running' && j.stage === stage, (j) => {
      const s = j.stages[stage]!;
      j.stages[stage] = { ...s, status: 'running', startedAt: now, attempts: (s.attempts ?? 0) + 1 };
    });
  }

  async stageSucceeded(...[job, stage, timing, result]: Parameters<JobStore['stageSucceeded']>) {
    return !!this.mutate(job.userId, job.jobId, (j) => j.status === 'running' && j.stage === stage, (j) => {
      j.stages[stage] = { ...j.stages[stage]!, status: 'succeeded', finishedAt: timing.finishedAt, ms: timing.ms };
      if (result.artifacts) Object.assign(j.artifacts, result.artifacts);
      if (result.durationSeconds !== undefined) j.durationSeconds = result.durationSeconds;
      if (result.media !== undefined) j.media = result.media;
      if (result.transcriptSource) j.transcriptSource = result.transcriptSource;
      if (result.selector) j.selector = result.selector;
      if (result.notices) j.notices = result.notices;
    });
  }

  async setProgress(job: Pick<JobRecord, 'userId' | 'jobId'>, progress: number) {
    this.mutate(job.userId, job.jobId, (j) => j.status === 'running' && j.progress < progress, (j) => (j.progress = progress));
  }

  async overdue(now: string, limit: number) {
    return [...this.jobs.values()].filter((j) => this.live(j) && j.deadlineAt && j.deadlineAt < now).slice(0, limit).map(clone);
  }

  async putClipsIfAbsent(clips: ClipRecord[]) {
    for (const c of clips) if (!this.clips.has(`${c.jobId}/${c.clipId}`)) this.clips.set(`${c.jobId}/${c.clipId}`, clone(c));
  }
  async listClips(jobId: string) {
    return [...this.clips.values()].filter((c) => c.jobId === jobId).sort((a, b) => a.clipId.localeCompare(b.clipId)).map(clone);
  }
  async getClip(jobId: string, clipId: string) {
    const c = this.clips.get(`${jobId}/${clipId}`);
    return c ? clone(c) : undefined;
  }
  async updateClip(jobId: string, clipId: string, patch: Partial<ClipRecord>) {
    const c = this.clips.get(`${jobId}/${clipId}`);
    if (!c) throw new Error('no such clip');
    Object.assign(c, patch);
  }

  /** Test helper: overwrite fields of a stored job. */
  poke(userId: string, jobId: string, patch: Partial<JobRecord>) {
    Object.assign(this.jobs.get(this.k(userId, jobId))!, patch);
  }
}

export class RecordingEvents {
  published: JobEvent[] = [];
  failNext = 0;
  async publish(...events: NewJobEvent[]): Promise<JobEvent[]> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SNS is down');
    }
    const full = events.map((e) => jobEventSchema.parse(makeEvent(e)));
    this.published.push(...full);
    return full;
  }
  ofType<T extends JobEvent['type']>(type: T) {
    return this.published.filter((e): e is Extract<JobEvent, { type: T }> => e.type === type);
  }
  clear() {
    this.published = [];
  }
}

export class FakeBilling implements BillingPort {
  balances = new Map<string, number>();
  holds = new Map<string, { credits: number; status: 'reserved' | 'settled' | 'refunded'; charged: number }>();
  refunds: { jobId: string; reason: string }[] = [];
  limits: AccountLimits = { maxSourceSeconds: 15 * 60, maxClipsPerJob: 5, maxHeight: 1280, watermark: false, concurrentJobs: 2 };

  creditsForDuration(seconds: number) {
    return Math.max(1, Math.ceil(seconds / 60));
  }
  async reserveCredits({ userId, jobId, credits }: { userId: string; jobId: string; credits: number }) {
    if (this.holds.has(jobId)) return {};
    const balance = this.balances.get(userId) ?? 0;
    if (balance < credits) throw new PaymentRequiredError(`Needs ${credits} credits, you have ${balance}`);
    this.balances.set(userId, balance - credits);
    this.holds.set(jobId, { credits, status: 'reserved', charged: 0 });
    return {};
  }
  async settleCredits({ jobId, actualCredits }: { userId: string; jobId: string; actualCredits: number }) {
    const h = this.holds.get(jobId);
    if (!h || h.status !== 'reserved') return {};
    h.status = 'settled';
    h.charged = actualCredits;
    return {};
  }
  async refundCredits({ userId, jobId, reason }: { userId: string; jobId: string; reason: string }) {
    this.refunds.push({ jobId, reason });
    const h = this.holds.get(jobId);
    if (!h || h.status !== 'reserved') return {};
    h.status = 'refunded';
    this.balances.set(userId, (this.balances.get(userId) ?? 0) + h.credits);
    return {};
  }
  async getBalance(userId: string) {
    return this.balances.get(userId) ?? 0;
  }
  async getAccount() {
    return { tier: 'basic', limits: this.limits };
  }
}

export class MemoryStorage implements StoragePort {
  bucket = 'test-bucket';
  objects = new Map<string, Buffer>();
  async presignGet(key: string) {
    return `http://s3.test/${this.bucket}/${key}`;
  }
  async uploadFile(key: string, p: string) {
    this.objects.set(key, fs.readFileSync(p));
  }
  async putJson(key: string, value: unknown) {
    this.objects.set(key, Buffer.from(JSON.stringify(value)));
  }
  async getJson(key: string) {
    const b = this.objects.get(key);
    if (!b) throw new Error(`missing ${key}`);
    return JSON.parse(b.toString()) as unknown;
  }
  async downloadToFile(key: string, p: string) {
    const b = this.objects.get(key);
    if (!b) throw new Error(`missing ${key}`);
    fs.writeFileSync(p, b);
  }
  async size(key: string) {
    return this.objects.get(key)?.length;
  }
  /** Declared sizes of multipart uploads; `uploadedBytes` overrides what "the client sent". */
  declared = new Map<string, number>();
  uploadedBytes = new Map<string, number>();
  async createMultipartUpload(key: string, _ct: string, plan: { totalBytes: number; partSize: number }) {
    this.declared.set(key, plan.totalBytes);
    const parts = Math.max(1, Math.ceil(plan.totalBytes / plan.partSize));
    return { uploadId: 'up-1', urls: Array.from({ length: parts }, (_, i) => `http://s3.test/part/${i + 1}`) };
  }
  async completeMultipartUpload(key: string) {
    this.objects.set(key, Buffer.alloc(this.uploadedBytes.get(key) ?? this.declared.get(key) ?? 5));
  }
  async head(key: string) {
    const object = this.objects.get(key);
    if (!object) return undefined;
    const declaredBytes = this.declared.get(key);
    return { bytes: object.length, ...(declaredBytes !== undefined ? { declaredBytes } : {}) };
  }
  async remove(key: string) {
    this.objects.delete(key);
  }
}

export const sampleInfo = (over: Partial<MediaInfo> = {}): MediaInfo => ({
  durationSeconds: 90,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  hasVideo: true,
  hasAudio: true,
  width: 1280,
  height: 720,
  videoCodec: 'h264',
  audioCodec: 'aac',
  subtitleStreams: [],
  ...over,
});

export class FakeMedia implements MediaPort {
  info = sampleInfo();
  calls: string[] = [];
  failWith: Partial<Record<string, Error>> = {};
  private storage: MemoryStorage;
  constructor(storage: MemoryStorage) {
    this.storage = storage;
  }
  private check(name: string) {
    this.calls.push(name);
    const e = this.failWith[name];
    if (e) throw e;
  }
  async probe() {
    this.check('probe');
    return this.info;
  }
  async probeRemote() {
    this.check('probeRemote');
    return this.info;
  }
  async downloadToS3(_url: string, o: { key: string }) {
    this.check('downloadToS3');
    this.storage.objects.set(o.key, Buffer.from('source-bytes'));
    return { bytes: 12 };
  }
  audioSpans: ({ startSeconds: number; endSeconds: number } | undefined)[] = [];
  async extractAudio(_input: string, out: string, span?: { startSeconds: number; endSeconds: number }) {
    this.check('extractAudio');
    this.audioSpans.push(span);
    fs.writeFileSync(out, 'mp3');
    return { bytes: 3, durationSeconds: this.info.durationSeconds };
  }
  async extractSubtitleTrack() {
    this.check('extractSubtitleTrack');
    return { durationSeconds: this.info.durationSeconds, source: 'captions' as const, segments: [{ start: 0, end: 5, text: 'From captions.' }] };
  }
  async detectSilences() {
    this.check('detectSilences');
    return [{ start: 29.5, end: 30.5 }];
  }
  async renderClip(o: Parameters<MediaPort['renderClip']>[0]) {
    this.check('renderClip');
    fs.mkdirSync(o.outDir, { recursive: true });
    const videoPath = path.join(o.outDir, 'clip.mp4');
    const thumbnailPath = path.join(o.outDir, 'thumb.jpg');
    const srtPath = path.join(o.outDir, 'c.srt');
    const vttPath = path.join(o.outDir, 'c.vtt');
    for (const p of [videoPath, thumbnailPath, srtPath, vttPath]) fs.writeFileSync(p, p);
    return { videoPath, thumbnailPath, srtPath, vttPath, durationSeconds: o.end - o.start };
  }
}

export class FakeAi implements AiPort {
  available = true;
  transcribeCalls = 0;
  transcriptionAvailable() {
    return this.available;
  }
  async transcribe() {
    this.transcribeCalls += 1;
    return {
      durationSeconds: 90,
      source: 'whisper' as const,
      segments: [
        { start: 0, end: 20, text: 'First idea.' },
        { start: 20, end: 45, text: 'Second idea.' },
        { start: 45, end: 90, text: 'Third idea.' },
      ],
    };
  }
  selectInputs: { transcript: Parameters<AiPort['selectClips']>[0]; opts: Parameters<AiPort['selectClips']>[1] }[] = [];
  async selectClips(transcript: Parameters<AiPort['selectClips']>[0], o: Parameters<AiPort['selectClips']>[1]) {
    this.selectInputs.push({ transcript, opts: o });
    const clips = [
      { start: 0, end: 20, title: 'First', reason: 'opens strong', score: 90, transcript: 'First idea.' },
      { start: 20, end: 45, title: 'Second', reason: 'a good point', score: 80, transcript: 'Second idea.' },
      { start: 45, end: 90, title: 'Third', reason: 'a conclusion', score: 70, transcript: 'Third idea.' },
    ].slice(0, o.clipCount);
    return { clips, selector: 'heuristic' };
  }
}

export class TestClock {
  t: Date;
  constructor(t = new Date('2026-01-01T00:00:00Z')) {
    this.t = t;
  }
  now() {
    return new Date(this.t);
  }
  advance(seconds: number) {
    this.t = new Date(this.t.getTime() + seconds * 1000);
  }
}

export function makeDeps() {
  const storage = new MemoryStorage();
  const billing = new FakeBilling();
  const deps = {
    store: new MemoryStore(billing),
    events: new RecordingEvents(),
    billing,
    storage,
    media: new FakeMedia(storage),
    ai: new FakeAi(),
    clock: new TestClock(),
    workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-unit-')),
  };
  return deps satisfies Deps;
}
export type TestDeps = ReturnType<typeof makeDeps>;
