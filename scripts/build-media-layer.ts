/**
 * Builds the Lambda layer with the media tools the stages need on AWS (linux/arm64):
 *   .layers/media/bin/ffmpeg   from @ffmpeg-installer/linux-arm64
 *   .layers/media/bin/ffprobe  from @ffprobe-installer/linux-arm64
 *   .layers/media/fonts/*.ttf  the DejaVu fonts used for burned captions
 * Lambda mounts it at /opt; serverless.yml points FFMPEG_PATH, FFPROBE_PATH and FONTS_DIR there.
 *
 *   node scripts/build-media-layer.ts                 build the folder (skipped when already built)
 *   node scripts/build-media-layer.ts --upload BUCKET  zip it, upload to s3://BUCKET/layers/media-<sha256>.zip
 *                                                      and print MEDIA_LAYER_BUCKET / MEDIA_LAYER_KEY lines
 * `npm run deploy` uploads it and passes the key to resources/media-layer.yml.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const LAYER = join(ROOT, '.layers', 'media');
const TOOLS = [
  { pkg: '@ffmpeg-installer/linux-arm64@4.1.4', file: 'ffmpeg' },
  { pkg: '@ffprobe-installer/linux-arm64@5.2.0', file: 'ffprobe' },
];

export function buildMediaLayer(force = false): string {
  const done = TOOLS.every((t) => existsSync(join(LAYER, 'bin', t.file))) && existsSync(join(LAYER, 'fonts'));
  if (done && !force) return LAYER;
  rmSync(LAYER, { recursive: true, force: true });
  mkdirSync(join(LAYER, 'bin'), { recursive: true });
  mkdirSync(join(LAYER, 'fonts'), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'media-layer-'));
  try {
    for (const { pkg, file } of TOOLS) {
      const tarball = execFileSync('npm', ['pack', pkg, '--pack-destination', work, '--silent'], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop()!;
      const dir = join(work, file);
      mkdirSync(dir);
      execFileSync('tar', ['-xzf', join(work, tarball), '-C', dir]);
      copyFileSync(join(dir, 'package', file), join(LAYER, 'bin', file));
      chmodSync(join(LAYER, 'bin', file), 0o755);
    }
    const fonts = join(ROOT, 'node_modules', 'dejavu-fonts-ttf', 'ttf');
    for (const f of readdirSync(fonts).filter((n) => n.endsWith('.ttf'))) copyFileSync(join(fonts, f), join(LAYER, 'fonts', f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return LAYER;
}

/** Zips the layer folder (deterministic order) and uploads it under its content hash. */
export async function uploadMediaLayer(bucket: string): Promise<string> {
  const dir = buildMediaLayer();
  const zip = join(ROOT, '.layers', 'media.zip');
  rmSync(zip, { force: true });
  execFileSync('zip', ['-X', '-r', '-q', zip, 'bin', 'fonts'], { cwd: dir });
  const body = readFileSync(zip);
  const key = `layers/media-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.zip`;
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  await new S3Client({}).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return key;
}

if (import.meta.main) {
  const at = process.argv.indexOf('--upload');
  if (at > 0) {
    const bucket = process.argv[at + 1];
    if (!bucket) throw new Error('usage: build-media-layer.ts --upload <bucket>');
    const key = await uploadMediaLayer(bucket);
    process.stdout.write(`MEDIA_LAYER_BUCKET=${bucket}\nMEDIA_LAYER_KEY=${key}\n`);
  } else {
    const dir = buildMediaLayer(process.argv.includes('--force'));
    process.stdout.write(`media layer ready: ${dir}\n`);
  }
}
