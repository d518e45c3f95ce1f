/** Hosted-UI sign-in buttons, shown only when the stage has the identity providers. */
export function SocialButtons({ providers, redirectTo }: { providers: string[]; redirectTo?: string }) {
  if (!providers.length) return null;
  const q = redirectTo ? `?redirectTo=${encodeURIComponent(redirectTo)}` : '';
  return (
    <>
      <div className="divider">or</div>
      <div className="stack">
        {providers.map((p) => (
          <a key={p} href={`/auth/social/${p}${q}`} className="btn btn-social">Continue with {p}</a>
        ))}
      </div>
    </>
  );
}
