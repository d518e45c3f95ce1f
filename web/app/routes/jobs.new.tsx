import { useRef, useState } from 'react';
import { Form, Link, useActionData, useLoaderData } from 'react-router';
import type { Route } from './+types/jobs.new';
import { FormError, SubmitButton } from '../components/forms.tsx';
import { formatDuration, plural } from '../components/format.ts';
import { newJobAction, newJobLoader, type NewJobResult } from './jobs.new.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'New job · Clipforge' }];
export const loader = (args: Route.LoaderArgs) => newJobLoader(args);
export const action = (args: Route.ActionArgs) => newJobAction(args);

type UploadState = { status: 'idle' } | { status: 'uploading'; percent: number; name: string } | { status: 'done'; key: string; name: string } | { status: 'error'; message: string };

/** Sends the file to the portal (same origin, so no CORS), which streams it to S3 in parts. */
function uploadFile(file: File, onProgress: (p: number) => void): Promise<{ uploadKey: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/resources/upload');
    xhr.setRequestHeader('Content-Type', file.type || 'video/mp4');
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name));
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      let body: { uploadKey?: string; error?: { message?: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // handled below
      }
      if (xhr.status === 200 && body.uploadKey) resolve({ uploadKey: body.uploadKey });
      else reject(new Error(body.error?.message ?? `Upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error('The upload was interrupted. Check your connection and try again.'));
    xhr.send(file);
  });
}

export default function NewJob() {
  const { balance } = useLoaderData<typeof loader>();
  const result = useActionData<NewJobResult>();
  const v = result?.values ?? {};
  const [source, setSource] = useState<'url' | 'file'>(v.source === 'file' ? 'file' : 'url');
  const [upload, setUpload] = useState<UploadState>(v.uploadKey ? { status: 'done', key: v.uploadKey, name: v.uploadName ?? 'your file' } : { status: 'idle' });
  const fileInput = useRef<HTMLInputElement>(null);
  const quote = result?.quote;
  const uploadKey = upload.status === 'done' ? upload.key : '';

  async function onFile(file: File | undefined) {
    if (!file) return;
    setUpload({ status: 'uploading', percent: 0, name: file.name });
    try {
      const { uploadKey: key } = await uploadFile(file, (percent) => setUpload({ status: 'uploading', percent, name: file.name }));
      setUpload({ status: 'done', key, name: file.name });
    } catch (e) {
      setUpload({ status: 'error', message: e instanceof Error ? e.message : 'Upload failed' });
    }
  }

  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">New job</p>
          <h1>Turn a video into clips</h1>
          <p>See the credit cost before anything is charged.{balance !== null ? ` You have ${plural(balance, 'credit')}.` : ''}</p>
        </div>
      </div>
      <Form method="post" noValidate>
        <div className="grid grid-2">
          <section className="card" aria-labelledby="source-title">
            <h2 id="source-title">1. Your video</h2>
            <fieldset>
              <legend>Source</legend>
              <div className="segmented">
                <label><input type="radio" name="source" value="url" checked={source === 'url'} onChange={() => setSource('url')} /><span>Link</span></label>
                <label><input type="radio" name="source" value="file" checked={source === 'file'} onChange={() => setSource('file')} /><span>Upload a file</span></label>
              </div>
            </fieldset>
            {source === 'url' ? (
              <div className="field">
                <label htmlFor="url">Video URL</label>
                <input id="url" name="url" type="url" inputMode="url" placeholder="https://example.com/talk.mp4" defaultValue={v.url} required aria-invalid={result?.fieldErrors?.url ? true : undefined} aria-describedby="url-hint url-error" />
                <span id="url-hint" className="hint">A direct link to a video file (MP4, WebM, MOV).</span>
                {result?.fieldErrors?.url ? <span id="url-error" className="error">{result.fieldErrors.url.join(' ')}</span> : null}
              </div>
            ) : (
              <div className="field">
                <label htmlFor="file">Video file</label>
                <div className="drop">
                  <input ref={fileInput} id="file" type="file" accept="video/*" onChange={(e) => void onFile(e.currentTarget.files?.[0])} aria-describedby="file-status" />
                  <div id="file-status" aria-live="polite" style={{ marginTop: 10 }}>
                    {upload.status === 'uploading' ? (
                      <>
                        <div className="progress" role="progressbar" aria-label="Upload progress" aria-valuenow={upload.percent} aria-valuemin={0} aria-valuemax={100}><span style={{ width: `${upload.percent}%` }} /></div>
                        <span className="small muted">Uploading {upload.name}… {upload.percent}%</span>
                      </>
                    ) : upload.status === 'done' ? <span className="small" style={{ color: 'var(--ok)' }}>✓ {upload.name} uploaded</span>
                    : upload.status === 'error' ? <span className="error">{upload.message}</span>
                    : <span className="small muted">Pick a file from your computer.</span>}
                  </div>
                </div>
                {result?.fieldErrors?.file ? <span className="error">{result.fieldErrors.file.join(' ')}</span> : null}
              </div>
            )}
            <fieldset className="range-fields">
              <legend>Only part of the video (optional)</legend>
              <div className="grid" style={{ gap: 12, gridTemplateColumns: 'repeat(auto-fit, minmax(min(140px, 100%), 1fr))' }}>
                <div className="field">
                  <label htmlFor="rangeFrom">From</label>
                  <input id="rangeFrom" name="rangeFrom" type="text" inputMode="numeric" placeholder="0:00" defaultValue={v.rangeFrom} aria-invalid={result?.fieldErrors?.rangeFrom ? true : undefined} aria-describedby="range-hint rangeFrom-error" />
                  {result?.fieldErrors?.rangeFrom ? <span id="rangeFrom-error" className="error">{result.fieldErrors.rangeFrom.join(' ')}</span> : null}
                </div>
                <div className="field">
                  <label htmlFor="rangeTo">To</label>
                  <input id="rangeTo" name="rangeTo" type="text" inputMode="numeric" placeholder="end" defaultValue={v.rangeTo} aria-invalid={result?.fieldErrors?.rangeTo ? true : undefined} aria-describedby="range-hint rangeTo-error" />
                  {result?.fieldErrors?.rangeTo ? <span id="rangeTo-error" className="error">{result.fieldErrors.rangeTo.join(' ')}</span> : null}
                </div>
              </div>
              <span id="range-hint" className="small muted">Clip only this part of a long video (e.g. 12:00 to 22:00). Only that part is transcribed and billed.</span>
            </fieldset>
            <input type="hidden" name="uploadKey" value={source === 'file' ? uploadKey : ''} />
            <input type="hidden" name="uploadName" value={upload.status === 'done' ? upload.name : ''} />
          </section>
          <section className="card" aria-labelledby="options-title">
            <h2 id="options-title">2. Options</h2>
            <div className="grid" style={{ gap: 12, gridTemplateColumns: 'repeat(auto-fit, minmax(min(120px, 100%), 1fr))' }}>
              <div className="field">
                <label htmlFor="clipCount">Clips</label>
                <input id="clipCount" name="clipCount" type="number" min={1} max={20} defaultValue={v.clipCount ?? '3'} />
                {result?.fieldErrors?.clipCount ? <span className="error">{result.fieldErrors.clipCount.join(' ')}</span> : null}
              </div>
              <div className="field">
                <label htmlFor="minSeconds">Min length (s)</label>
                <input id="minSeconds" name="minSeconds" type="number" min={3} max={300} defaultValue={v.minSeconds ?? '15'} />
                {result?.fieldErrors?.minSeconds ? <span className="error">{result.fieldErrors.minSeconds.join(' ')}</span> : null}
              </div>
              <div className="field">
                <label htmlFor="maxSeconds">Max length (s)</label>
                <input id="maxSeconds" name="maxSeconds" type="number" min={3} max={300} defaultValue={v.maxSeconds ?? '60'} />
                {result?.fieldErrors?.maxSeconds ? <span className="error">{result.fieldErrors.maxSeconds.join(' ')}</span> : null}
              </div>
            </div>
            <fieldset>
              <legend>Format</legend>
              <div className="segmented">
                {[['source', 'Original'], ['9:16', 'Vertical 9:16'], ['1:1', 'Square 1:1']].map(([value, label]) => (
                  <label key={value}><input type="radio" name="aspect" value={value} defaultChecked={(v.aspect ?? 'source') === value} /><span>{label}</span></label>
                ))}
              </div>
            </fieldset>
            <label className="checkbox" style={{ marginBottom: 16 }}><input type="checkbox" name="captions" defaultChecked={v.captions ? v.captions === 'on' : true} /> Burn in captions</label>
            <div className="grid grid-2" style={{ gap: 12 }}>
              <div className="field">
                <label htmlFor="language">Language (optional)</label>
                <input id="language" name="language" type="text" placeholder="en" defaultValue={v.language} maxLength={8} />
                {result?.fieldErrors?.language ? <span className="error">{result.fieldErrors.language.join(' ')}</span> : null}
              </div>
              <div className="field">
                <label htmlFor="prompt">What to look for (optional)</label>
                <input id="prompt" name="prompt" type="text" placeholder="funny moments, key insights…" defaultValue={v.prompt} maxLength={500} />
              </div>
            </div>
          </section>
        </div>
        <section className={`card${quote ? ' quote' : ''}`} style={{ marginTop: 20 }} aria-labelledby="quote-title" aria-live="polite">
          <h2 id="quote-title">3. Cost</h2>
          <FormError message={result?.formError} />
          {result?.errorCode === 'INSUFFICIENT_CREDITS' ? <p><Link to="/billing" className="btn btn-secondary btn-sm">Get more credits</Link></p> : null}
          {quote ? (
            <>
              <dl className="kv" data-testid="quote">
                {quote.range ? (
                  <>
                    <dt>Part</dt><dd>{formatDuration(quote.range.startSeconds)} – {formatDuration(quote.range.endSeconds)} ({formatDuration(quote.durationSeconds)} of {formatDuration(quote.sourceDurationSeconds)})</dd>
                  </>
                ) : (
                  <><dt>Video length</dt><dd>{formatDuration(quote.durationSeconds)}</dd></>
                )}
                <dt>Cost</dt><dd>{plural(quote.credits, 'credit')}</dd>
                <dt>Your balance</dt><dd>{plural(quote.balance, 'credit')}</dd>
              </dl>
              {!quote.withinLimits ? <p className="alert alert-warn">This video is longer than your plan allows ({formatDuration(quote.limits.maxSourceSeconds)}). <Link to="/billing">Upgrade</Link> to process it.</p> : null}
              {quote.withinLimits && !quote.affordable ? <p className="alert alert-warn">You need {quote.credits - quote.balance} more credits. <Link to="/billing">Buy credits</Link></p> : null}
              <input type="hidden" name="idempotencyKey" value={result?.idempotencyKey ?? ''} />
              <div className="row" style={{ marginTop: 16 }}>
                <SubmitButton name="intent" value="create" className="btn btn-primary" disabled={!quote.affordable || !quote.withinLimits} pendingText="Starting…">Start job · {plural(quote.credits, 'credit')}</SubmitButton>
                <SubmitButton name="intent" value="quote" className="btn btn-ghost" pendingText="Checking…">Quote again</SubmitButton>
              </div>
            </>
          ) : (
            <>
              <p className="muted">We check the video’s length first: 1 credit per started minute, reserved when the job starts and refunded if it fails.</p>
              <SubmitButton name="intent" value="quote" className="btn btn-primary" disabled={source === 'file' && upload.status !== 'done'} pendingText="Checking the video…">Get quote</SubmitButton>
            </>
          )}
        </section>
      </Form>
    </>
  );
}
