import { describe, expect, it } from '@jest/globals';
import { createTestUser } from '../../support/users.ts';
import { api } from './support.ts';

/**
 * POST /uploads declares a size; POST /uploads/complete holds the object to it against the local
 * S3 (fauxqs, which does not check signatures — so the completion check is what is tested here;
 * on AWS each part URL also signs its Content-Length).
 */
async function upload(token: string, declared: number, sent: Buffer) {
  const up = await api<{ uploadKey: string; uploadId: string; partSize: number; parts: { partNumber: number; url: string }[] }>('POST', '/uploads', token, {
    filename: 'talk.mp4',
    size: declared,
    contentType: 'video/mp4',
  });
  expect(up.status).toBe(201);
  const put = await fetch(up.body.parts[0]!.url, { method: 'PUT', body: new Uint8Array(sent) });
  expect(put.status).toBe(200);
  const done = await api('POST', '/uploads/complete', token, { uploadKey: up.body.uploadKey, uploadId: up.body.uploadId, parts: [{ partNumber: 1, etag: put.headers.get('etag') ?? '' }] });
  return { uploadKey: up.body.uploadKey, done };
}

describe('uploads are held to their declared size', () => {
  it('the declared size completes; more bytes than declared are deleted with 400 UPLOAD_SIZE_MISMATCH', async () => {
    const user = await createTestUser({ prefix: 'upload-size' });
    const exact = await upload(user.accessToken, 4096, Buffer.alloc(4096, 1));
    expect(exact.done).toMatchObject({ status: 200, body: { uploadKey: exact.uploadKey, size: 4096 } });

    const bigger = await upload(user.accessToken, 1000, Buffer.alloc(64 * 1024, 1));
    expect(bigger.done).toMatchObject({ status: 400, body: { error: { code: 'UPLOAD_SIZE_MISMATCH', details: { bytes: 64 * 1024, declaredBytes: 1000 } } } });
    // Deleted: the key is no longer an upload a job can use.
    const quote = await api('POST', '/jobs/quote', user.accessToken, { uploadKey: bigger.uploadKey });
    expect(quote).toMatchObject({ status: 404, body: { error: { code: 'UPLOAD_NOT_FOUND' } } });
  }, 60_000);
});
