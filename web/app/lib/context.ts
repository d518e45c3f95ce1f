import { createContext } from 'react-router';
import type { SessionHandle } from './session.server.ts';

/** Set by the root middleware for every request. */
export const sessionContext = createContext<SessionHandle>();
