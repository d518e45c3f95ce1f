/** Browsers ask for /favicon.ico on pages without a <link rel=icon> (e.g. error bodies). */
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#5b3df5"/><path d="M12 9l11 7-11 7z" fill="#fff"/></svg>';
export const loader = () => new Response(SVG, { headers: { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' } });
