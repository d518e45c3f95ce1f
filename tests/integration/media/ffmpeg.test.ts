import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import {
  detectSilences,
  extractAudio,
  extractSubtitleTrack,
  ffmpegPath,
  ffprobePath,
  probe,
  run,
} from '../../../lib/media/ffmpeg.ts';
import { MediaError, type MediaErrorCode } from '../../../lib/media/errors.ts';
import type { SampleVideo } from '../../../scripts/make-sample-video.ts';
import { sampleVideo, tempDir } from './media-fixtures.ts';

let video: SampleVideo;
let dir: string;
const file = (name: string) => path.join(dir, name);

async function ffmpeg(args: string[]): Promise<void> {
  const r = await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-y', '-v', 'error', ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
}

async function codeOf(p: Promise<unknown>): Promise<MediaErrorCode | 'ok' | 'other'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof MediaError ? err.code : 'other';
  }
}

beforeAll(async () => {
  video = await sampleVideo({ seconds: 75, width: 640, height: 360, withSubtitleTrack: true });
  dir = tempDir('clipforge-ffmpeg-test-');
  const bytes = fs.readFileSync(video.outPath);
  fs.writeFileSync(file('truncated.mp4'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  fs.writeFileSync(file('empty.mp4'), Buffer.alloc(0));
  fs.writeFileSync(file('page.mp4'), '<!DOCTYPE html><html><head><title>Video</title></head><body>Watch here</body></html>');
  // Random bytes behind a real MP4 header: looks like media, is not.
  fs.writeFileSync(file('corrupt.mp4'), Buffer.concat([bytes.subarray(0, 64), Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251))]));
  await ffmpeg(['-i', video.outPath, '-vn', '-sn', '-c:a', 'copy', file('audio-only.m4a')]);
  await ffmpeg(['-i', video.outPath, '-an', '-sn', '-c:v', 'copy', file('silent.mp4')]);
  await ffmpeg(['-i', video.outPath, '-c', 'copy', '-movflags', '+faststart', file('faststart.mp4')]);
  const fast = fs.readFileSync(file('faststart.mp4'));
  fs.writeFileSync(file('faststart-truncated.mp4'), fast.subarray(0, Math.floor(fast.length * 0.4)));
}, 600_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('binaries', () => {
  it('finds ffmpeg and an executable ffprobe', async () => {
    expect((await run(ffmpegPath(), ['-version'])).code).toBe(0);
    expect((await run(ffprobePath(), ['-version'])).code).toBe(0);
  });
});

describe('probe', () => {
  it('reads duration, streams and resolution of the sample video', async () => {
    const info = await probe(video.outPath);
    expect(info.durationSeconds).toBeCloseTo(75, 0);
    expect(info).toMatchObject({ hasVideo: true, hasAudio: true, width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac' });
    expect(info.formatName).toContain('mp4');
    expect(info.subtitleStreams).toEqual([{ index: 2, codec: 'mov_text', language: 'eng' }]);
  });

  it.each([
    ['a missing file', 'missing.mp4', 'SOURCE_NOT_FOUND'],
    ['a zero-length file', 'empty.mp4', 'EMPTY_SOURCE'],
    ['a web page saved as .mp4', 'page.mp4', 'NOT_A_VIDEO'],
    ['a truncated file (index at the end)', 'truncated.mp4', 'CORRUPT_MEDIA'],
    ['garbage behind an MP4 header', 'corrupt.mp4', 'CORRUPT_MEDIA'],
    ['an audio-only file', 'audio-only.m4a', 'NOT_A_VIDEO'],
  ])('refuses %s with the right code', async (_what, name, code) => {
    expect(await codeOf(probe(file(name)))).toBe(code);
  });

  it('describes audio files when video is not required', async () => {
    const info = await probe(file('audio-only.m4a'), { requireVideo: false });
    expect(info).toMatchObject({ hasVideo: false, hasAudio: true, audioCodec: 'aac' });
  });

  it('accepts a video without audio (the audio stage refuses it)', async () => {
    const info = await probe(file('silent.mp4'));
    expect(info).toMatchObject({ hasVideo: true, hasAudio: false });
  });
});

describe('extractAudio', () => {
  it('writes a mono speech MP3 of the whole duration', async () => {
    const out = file('audio.mp3');
    const result = await extractAudio(video.outPath, out);
    expect(result.durationSeconds).toBeCloseTo(75, 0);
    expect(result.bytes).toBe(fs.statSync(out).size);
    // 48 kbit/s: about 6 kB per second.
    expect(result.bytes).toBeLessThan(75 * 7000);
    const streams = await run(ffprobePath(), ['-v', 'error', '-show_entries', 'stream=codec_name,channels,sample_rate', '-of', 'json', out]);
    expect(JSON.parse(streams.stdout.toString())).toEqual({
      programs: expect.any(Array),
      streams: [{ codec_name: 'mp3', channels: 1, sample_rate: '16000' }],
    });
  });

  it('extracts only a range: its audio starts at the range start and lasts the range', async () => {
    const out = file('range.mp3');
    const result = await extractAudio(video.outPath, out, { startSeconds: 20, endSeconds: 50 });
    expect(result.durationSeconds).toBeCloseTo(30, 0);
    // The silences of the range audio are the source's, 20 s earlier.
    const whole = await detectSilences(video.outPath);
    const ranged = await detectSilences(out);
    const inside = whole.filter((s) => s.start > 21 && s.end < 49).map((s) => s.start - 20);
    expect(inside.length).toBeGreaterThan(0);
    for (const start of inside) expect(ranged.some((r) => Math.abs(r.start - start) < 0.2)).toBe(true);
  });

  it('refuses a video without audio with NO_AUDIO', async () => {
    expect(await codeOf(extractAudio(file('silent.mp4'), file('none.mp3')))).toBe('NO_AUDIO');
  });

  it('notices a truncated file whose index is intact (faststart) as CORRUPT_MEDIA', async () => {
    expect(await codeOf(extractAudio(file('faststart-truncated.mp4'), file('trunc.mp3')))).toBe('CORRUPT_MEDIA');
  });
});

describe('detectSilences', () => {
  it('finds the pause after every spoken sentence', async () => {
    const silences = await detectSilences(video.outPath, { noiseDb: -35, minSeconds: 0.5 });
    for (let i = 0; i + 1 < video.timeline.length; i++) {
      const gapStart = video.timeline[i]!.end;
      const gapEnd = video.timeline[i + 1]!.start;
      const found = silences.find((s) => Math.abs(s.start - gapStart) < 0.15 && Math.abs(s.end - gapEnd) < 0.15);
      expect(found).toBeDefined();
    }
    // No silence inside a sentence.
    for (const s of silences) {
      for (const t of video.timeline) expect(s.start >= t.end - 0.1 || s.end <= t.start + 0.1).toBe(true);
    }
  });
});

describe('extractSubtitleTrack', () => {
  it('turns the embedded mov_text track into a captions transcript', async () => {
    const t = await extractSubtitleTrack(video.outPath, 2);
    expect(t.source).toBe('captions');
    expect(t.language).toBe('eng');
    expect(t.durationSeconds).toBeCloseTo(75, 0);
    expect(t.segments.map((s) => s.text)).toEqual(video.timeline.map((s) => s.text));
    t.segments.forEach((s, i) => {
      expect(s.start).toBeCloseTo(video.timeline[i]!.start, 1);
      expect(s.end).toBeCloseTo(video.timeline[i]!.end, 1);
    });
  });

  it('refuses a stream that is not a subtitle track', async () => {
    expect(await codeOf(extractSubtitleTrack(video.outPath, 0))).toBe('UNSUPPORTED_CODEC');
  });
});
