/**
 * Streams a body into presigned multipart-upload part URLs, `partSize` bytes per part (the last
 * one shorter), and returns the ETags for CompleteMultipartUpload.
 */
export async function streamToParts(
  body: ReadableStream<Uint8Array>,
  partSize: number,
  urls: { partNumber: number; url: string }[],
  contentType: string,
  doFetch: typeof fetch = fetch,
): Promise<{ partNumber: number; etag: string }[]> {
  const out: { partNumber: number; etag: string }[] = [];
  let buffered: Uint8Array[] = [];
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    const target = urls[out.length];
    if (!target) throw new Error('The file is larger than announced');
    const chunk = Buffer.concat(buffered, size);
    buffered = [];
    size = 0;
    const res = await doFetch(target.url, { method: 'PUT', body: chunk, headers: { 'Content-Length': String(chunk.length) } });
    if (!res.ok) throw new Error(`Storage refused part ${target.partNumber} (${res.status})`);
    const etag = res.headers.get('ETag');
    if (!etag) throw new Error('Storage returned no ETag');
    out.push({ partNumber: target.partNumber, etag });
  };
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let offset = 0;
    while (offset < value.length) {
      const take = Math.min(partSize - size, value.length - offset);
      buffered.push(value.subarray(offset, offset + take));
      size += take;
      offset += take;
      if (size === partSize) await flush();
    }
  }
  await flush();
  if (!out.length) throw new Error('The file is empty');
  void contentType;
  return out;
}
