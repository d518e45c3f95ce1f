/** The shared front-end authentication module (browser-safe; used by web/ and extension/). */
export * from './types.ts';
export * from './errors.ts';
export * from './config.ts';
export * from './jwt.ts';
export * from './cognito.ts';
export * from './session.ts';
export * from './pkce.ts';
