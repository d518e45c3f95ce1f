import { Link, redirect } from 'react-router';
import type { Route } from './+types/home';
import { getOptionalUser } from '../lib/auth.server.ts';

export const meta: Route.MetaFunction = () => [
  { title: 'Clipforge · Long videos in, short captioned clips out' },
  { name: 'description', content: 'Clipforge finds the best moments of your long videos and turns them into short, captioned clips for every platform.' },
];

export async function loader({ context }: Route.LoaderArgs) {
  if (await getOptionalUser({ context })) throw redirect('/dashboard');
  return null;
}

const FEATURES = [
  { icon: 'AI', title: 'Finds the best moments', text: 'Transcribes your video and picks highlights that start and end on full sentences, with a title, a reason and a score.' },
  { icon: 'CC', title: 'Captions burned in', text: 'Readable captions on every clip, plus SRT and VTT files for your editor.' },
  { icon: '9:16', title: 'Every format', text: 'Vertical 9:16 for Shorts, Reels and TikTok, square 1:1, or the original framing.' },
  { icon: '⚡', title: 'Live progress', text: 'Watch each stage as it runs, and play clips the moment they render.' },
];

export default function Home() {
  return (
    <>
      <section className="hero">
        <div className="container hero-grid">
          <div>
            <p className="eyebrow">Video to clips, automatically</p>
            <h1>Turn long videos into short clips people watch.</h1>
            <p className="lead">Paste a link or upload a file. Clipforge transcribes it, finds the highlights and delivers captioned clips ready to post.</p>
            <div className="row">
              <Link to="/signup" className="btn btn-primary">Start free</Link>
              <Link to="/signin" className="btn btn-secondary">Sign in</Link>
            </div>
            <p className="muted small" style={{ marginTop: 14 }}>Free plan included · 1 credit = 1 minute of source video</p>
          </div>
          <div className="hero-visual" aria-hidden="true">
            <div className="phones">
              <div className="phone">“The one habit that changed everything”</div>
              <div className="phone">“Why most launches fail”</div>
              <div className="phone">“Three tools I use daily”</div>
            </div>
          </div>
        </div>
      </section>
      <section className="features" aria-labelledby="features-title">
        <div className="container">
          <h2 id="features-title" className="visually-hidden">Features</h2>
          <div className="grid grid-4">
            {FEATURES.map((f) => (
              <div key={f.title} className="card feature">
                <div className="feature-icon" aria-hidden="true">{f.icon}</div>
                <h3>{f.title}</h3>
                <p className="muted">{f.text}</p>
              </div>
            ))}
          </div>
          <div className="card" style={{ marginTop: 24 }}>
            <h2>How it works</h2>
            <ol className="steps">
              <li>Submit a video link or upload a file, and see the credit cost before you confirm.</li>
              <li>Follow the job live: download, transcription, highlight selection, rendering.</li>
              <li>Play, download (MP4, SRT, VTT) and post your clips.</li>
            </ol>
          </div>
        </div>
      </section>
    </>
  );
}
