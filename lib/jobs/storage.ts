import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MissingArtifactError } from './stages/context.ts';
import type { StoragePort } from './ports.ts';

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

    async createMultipartUpload(key, contentType, partCount, expiresIn) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
      if (!UploadId) throw new Error('S3 returned no UploadId');
      const urls = await Promise.all(
        Array.from({ length: partCount }, (_, i) =>
          getSignedUrl(client, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1 }), { expiresIn }),
        ),
      );
      return { uploadId: UploadId, urls };
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
