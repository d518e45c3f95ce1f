/**
 * lib/media/ffmpeg.ts: every ffmpeg/ffprobe run on user media is limited to real media demuxers and
 * to the protocols its own input needs, and refusals are reported with a clear code.
 */
import { describe, expect, it } from '@jest/globals';
import { classifyFailure, isMediaFormat, MEDIA_DEMUXERS, userInputOptions } from '../../../lib/media/ffmpeg.ts';

const optionAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('userInputOptions', () => {
  it('a local file: our demuxers, the file protocol only', () => {
    const args = userInputOptions('/tmp/source.mp4');
    expect(optionAfter(args, '-format_whitelist')).toBe(MEDIA_DEMUXERS.join(','));
    expect(optionAfter(args, '-protocol_whitelist')).toBe('file');
    expect(args).not.toContain('-rw_timeout');
  });

  it('a presigned URL: http(s) over tcp/tls only (no file, no other schemes), with a stall timeout', () => {
    const args = userInputOptions('https://bucket.s3.amazonaws.com/sources/j/source?X-Amz-Signature=x', { reconnect: true });
    expect(optionAfter(args, '-protocol_whitelist')).toBe('http,https,tcp,tls');
    expect(optionAfter(args, '-rw_timeout')).toBe('30000000');
    expect(args).toContain('-reconnect');
    for (const playlist of ['hls', 'concat', 'dash', 'image2']) expect(optionAfter(args, '-format_whitelist')!.split(',')).not.toContain(playlist);
  });
});

describe('isMediaFormat', () => {
  it.each([
    ['mov,mp4,m4a,3gp,3g2,mj2', true],
    ['matroska,webm', true],
    ['mpegts', true],
    ['hls', false],
    ['hls,applehttp', false],
    ['concat', false],
    ['mov,hls', false],
    ['', false],
  ])('%s → %s', (name, ok) => expect(isMediaFormat(name)).toBe(ok));
});

describe('classifyFailure of a refused input', () => {
  const refusal = (ctx: string) => `[${ctx} @ 0x55d0c0a1b2c0] Format not on whitelist 'mov,mp4'\nsource: Invalid argument\n`;
  it.each([
    ['hls', 'UNSUPPORTED_FORMAT', /Playlists/],
    ['hls,applehttp', 'UNSUPPORTED_FORMAT', /Playlists/],
    ['concat', 'UNSUPPORTED_FORMAT', /Playlists/],
    ['dash', 'UNSUPPORTED_FORMAT', /Playlists/],
    ['image2', 'UNSUPPORTED_FORMAT', /Playlists/],
    ['tty', 'NOT_A_VIDEO', /not a video/],
    ['srt', 'NOT_A_VIDEO', /not a video/],
    ['nut', 'UNSUPPORTED_FORMAT', /container format nut/],
  ])('[%s] → %s', (ctx, code, message) => {
    const err = classifyFailure('https://example.test/source', refusal(ctx), 'ffprobe');
    expect(err).toMatchObject({ code });
    expect(err.message).toMatch(message);
  });

  it('a playlist a newer ffmpeg will not even probe under another name', () => {
    const stderr = 'Not detecting m3u8/hls with non standard extension and non standard mime type\nsource: Invalid data found when processing input\n';
    expect(classifyFailure('http://127.0.0.1:1/source', stderr, 'ffprobe')).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
});
