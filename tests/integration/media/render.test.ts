import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { extractSubtitleTrack, ffmpegPath, probe, run } from '../../../lib/media/ffmpeg.ts';
import { parseSubtitles } from '../../../lib/media/captions.ts';
import { renderClip } from '../../../lib/media/render.ts';
import type { Transcript } from '../../../lib/ai/types.ts';
import type { SampleVideo } from '../../../scripts/make-sample-video.ts';
import { sampleVideo, serveFiles, tempDir, type FileServer } from './media-fixtures.ts';

let video: SampleVideo;
let captions: Transcript;
let dir: string;
let server: FileServer;

/** One frame as 8-bit gray pixels (w × h). */
async function grayFrame(file: string, at: number, w: number, h: number): Promise<Buffer> {
  const r = await run(ffmpegPath(), ['-v', 'error', '-ss', String(at), '-i', file, '-frames:v', '1', '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
  expect(r.code).toBe(0);
  expect(r.stdout.length).toBe(w * h);
  return r.stdout;
}

function meanDiff(a: Buffer, b: Buffer, w: number, fromRow: number, toRow: number): number {
  let sum = 0;
  for (let y = fromRow; y < toRow; y++) for (let x = 0; x < w; x++) sum += Math.abs(a[y * w + x]! - b[y * w + x]!);
  return sum / ((toRow - fromRow) * w);
}

beforeAll(async () => {
  video = await sampleVideo({ seconds: 75, width: 640, height: 360, withSubtitleTrack: true });
  captions = await extractSubtitleTrack(video.outPath, 2);
  dir = tempDir('clipforge-render-test-');
  server = await serveFiles({ '/source.mp4': { path: video.outPath, type: 'video/mp4' } });
}, 600_000);

afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('renderClip', () => {
  // A clip from the start of sentence 2 to the end of sentence 4, as the selector would pick it.
  const pick = () => ({ start: video.timeline[1]!.start, end: video.timeline[3]!.end });

  it('renders 9:16 with burned captions, SRT/VTT in clip time and a thumbnail', async () => {
    const { start, end } = pick();
    const out = await renderClip({ input: video.outPath, start, end, aspect: '9:16', captions, outDir: path.join(dir, 'vertical') });
    const info = await probe(out.videoPath);
    expect(info.height).toBe(360);
    expect(info.width! % 2).toBe(0);
    expect(Math.abs(info.width! / info.height! - 9 / 16)).toBeLessThan(0.01);
    expect(info.durationSeconds).toBeCloseTo(end - start, 0);
    expect(Math.abs(out.durationSeconds - (end - start))).toBeLessThan(0.15);
    expect(info.hasAudio).toBe(true);

    const srt = parseSubtitles(fs.readFileSync(out.srtPath!, 'utf8'));
    expect(srt.map((s) => s.text)).toEqual(video.timeline.slice(1, 4).map((s) => s.text));
    expect(srt[0]!.start).toBeCloseTo(0, 1);
    expect(srt.at(-1)!.end).toBeCloseTo(end - start, 1);
    const vtt = fs.readFileSync(out.vttPath!, 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(parseSubtitles(vtt)).toEqual(srt);

    const thumb = fs.readFileSync(out.thumbnailPath);
    expect(thumb.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('burns the captions into the picture (bottom changes, top does not)', async () => {
    const { start, end } = pick();
    const withCaps = await renderClip({ input: video.outPath, start, end, aspect: '9:16', captions, outDir: path.join(dir, 'caps') });
    const without = await renderClip({ input: video.outPath, start, end, aspect: '9:16', captions: null, outDir: path.join(dir, 'nocaps') });
    expect(without.srtPath).toBeUndefined();
    // Half-way through the first sentence a caption is on screen.
    const at = (video.timeline[1]!.end - video.timeline[1]!.start) / 2;
    const [w, h] = [202, 360];
    const a = await grayFrame(withCaps.videoPath, at, w, h);
    const b = await grayFrame(without.videoPath, at, w, h);
    const top = meanDiff(a, b, w, 0, Math.floor(h / 2));
    const bottom = meanDiff(a, b, w, Math.floor(h * 0.6), h);
    expect(bottom).toBeGreaterThan(3);
    expect(bottom).toBeGreaterThan(top * 5);
  });

  it('renders 1:1 with a watermark', async () => {
    const { start, end } = pick();
    const out = await renderClip({ input: video.outPath, start, end, aspect: '1:1', captions, outDir: path.join(dir, 'square'), watermark: true });
    const info = await probe(out.videoPath);
    expect([info.width, info.height]).toEqual([360, 360]);
  });

  it('scales down to maxHeight', async () => {
    const out = await renderClip({ input: video.outPath, start: 10, end: 14, aspect: 'source', captions: null, outDir: path.join(dir, 'small'), maxHeight: 240 });
    const info = await probe(out.videoPath);
    expect(info.height).toBe(240);
    expect(info.width).toBe(426);
  });

  it('cuts by stream copy in copy mode (keyframe accurate, sidecars still written)', async () => {
    const { start, end } = pick();
    const out = await renderClip({ input: video.outPath, start, end, aspect: 'source', captions, outDir: path.join(dir, 'copy'), mode: 'copy' });
    const info = await probe(out.videoPath);
    expect([info.width, info.height]).toEqual([640, 360]);
    // The sample has a keyframe every 2 s, so a copy is at most ~2 s longer.
    expect(info.durationSeconds).toBeGreaterThanOrEqual(end - start - 0.1);
    expect(info.durationSeconds).toBeLessThan(end - start + 2.2);
    expect(fs.existsSync(out.srtPath!)).toBe(true);
  });

  it('reads only the needed range of an HTTP source', async () => {
    const total = fs.statSync(video.outPath).size;
    const start = 60;
    const end = 66;
    const out = await renderClip({ input: `${server.url}/source.mp4`, start, end, aspect: '9:16', captions, outDir: path.join(dir, 'http') });
    const info = await probe(out.videoPath);
    expect(info.durationSeconds).toBeCloseTo(6, 0);
    // ffmpeg seeks with ranged requests: it asks for the part of the file holding the clip, and
    // every request that started early in the file was abandoned, never read to the end.
    const reqs = server.requests.filter((r) => r.path === '/source.mp4');
    expect(reqs.length).toBeGreaterThan(1);
    expect(reqs.some((r) => r.start > total * 0.6 && r.start < total * 0.95)).toBe(true);
    expect(reqs.filter((r) => r.start < total * 0.5 && r.completed)).toEqual([]);
    expect(server.sent.get('/source.mp4')).toBeLessThan(total * 0.6);
  });

  it('refuses an empty range', async () => {
    await expect(renderClip({ input: video.outPath, start: 5, end: 5, aspect: 'source', captions: null, outDir: path.join(dir, 'bad') })).rejects.toThrow(RangeError);
  });
});
