import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test-only JWT tooling: local RSA keys, a JWKS server on port 0, and a token signer. */
export interface KeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  jwk: Record<string, string>;
}

export function makeKey(kid: string): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' }) as { n: string; e: string; kty: string };
  return {
    kid,
    privateKey,
    publicKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { kty: 'RSA', n: exported.n, e: exported.e, alg: 'RS256', use: 'sig', kid },
  };
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function signRs256(key: KeyPair, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

/** RSASSA-PSS (PS256) with the same RSA key: a valid signature, but not the algorithm the key is for. */
export function signPs256(key: KeyPair, payload: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'PS256', typ: 'JWT', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return `${head}.${body}.${b64url(signature)}`;
}

/** alg=none: no signature at all. */
export function unsigned(payload: Record<string, unknown>, kid: string): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid }))}.${b64url(JSON.stringify(payload))}.`;
}

/** The classic key-confusion attack: HS256 with the RSA public key (PEM) as the HMAC secret. */
export function hs256WithPublicKey(key: KeyPair, payload: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const mac = createHmac('sha256', key.publicPem).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(mac)}`;
}

export interface JwksServer {
  url: string;
  /** Number of JWKS requests served so far. */
  hits(): number;
  stop(): Promise<void>;
}

export async function startJwksServer(keys: KeyPair[], path = '/.well-known/jwks.json'): Promise<JwksServer> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith(path)) {
      hits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
