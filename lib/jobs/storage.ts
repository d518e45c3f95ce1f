import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MissingArtifactError } from './stages/context.ts';
import type { StoragePort } from './ports.ts';

/** Object metadata (x-amz-meta-declared-bytes): the size a multipart upload was created for. */
const DECLARED_BYTES = 'declared-bytes';

const notFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/** The media bucket: streamed multipart uploads, ranged reads through presigned URLs. */
export function s3Storage(client: S3Client, bucket: string): StoragePort {
  return {
    bucket,
    presignGet: (key, expiresIn) => getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }),

    async uploadFile(key, path, contentType) {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: fs.createReadStream(path), ContentType: contentType },
        partSize: 8 * 1024 * 1024,
        queueSize: 2,
      });
      await upload.done();
    },

    async putJson(key, value) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },

    async getJson(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse((await res.Body?.transformToString('utf8')) ?? 'null') as unknown;
      } catch (err) {
        if (notFound(err)) throw new MissingArtifactError(`s3://${bucket}/${key} does not exist`);
        throw err;
      }
    },

    async downloadToFile(key, path) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        await pipeline(res.Body as Readable, fs.createWriteStream(path));
      } catch (err) {
        if (notFound(err)) throw new MissingArtifactError(`s3://${bucket}/${key} does not exist`);
        throw err;
      }
    },

    async size(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.ContentLength ?? 0;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },

    async createMultipartUpload(key, contentType, { totalBytes, partSize }, expiresIn) {
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType, Metadata: { [DECLARED_BYTES]: String(totalBytes) } }),
      );
      if (!UploadId) throw new Error('S3 returned no UploadId');
      const partCount = Math.max(1, Math.ceil(totalBytes / partSize));
      const urls = await Promise.all(
        Array.from({ length: partCount }, (_, i) => {
          // Signed with its exact length: a part of any other size is refused by S3 (SignatureDoesNotMatch).
          const length = i === partCount - 1 ? totalBytes - partSize * (partCount - 1) : partSize;
          return getSignedUrl(client, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, ContentLength: length }), {
            expiresIn,
            signableHeaders: new Set(['content-length']),
          });
        }),
      );
      return { uploadId: UploadId, urls };
    },

    async head(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const declared = Number(head.Metadata?.[DECLARED_BYTES]);
        return { bytes: head.ContentLength ?? 0, ...(Number.isFinite(declared) && head.Metadata?.[DECLARED_BYTES] ? { declaredBytes: declared } : {}) };
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },

    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    async completeMultipartUpload(key, uploadId, parts) {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    },
  };
}
