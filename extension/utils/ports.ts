/**
 * The slice of the WebExtension API the background logic uses. The entry points pass the real
 * `browser` object (wxt/browser); unit tests pass a fake. Keeping this narrow is what lets the
 * auth, router and job-tracking code run under jest without a browser.
 */

export interface StorageAreaPort {
  get(keys: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  /** Chrome 102+: restrict the area to trusted (extension) contexts. Absent on Firefox. */
  setAccessLevel?(options: { accessLevel: 'TRUSTED_CONTEXTS' | 'TRUSTED_AND_UNTRUSTED_CONTEXTS' }): Promise<void>;
}

export interface MessageSenderPort {
  id?: string;
  url?: string;
  origin?: string;
  tab?: { id?: number; url?: string };
  frameId?: number;
}

export interface AlarmsPort {
  create(name: string, info: { when?: number; delayInMinutes?: number; periodInMinutes?: number }): Promise<void> | void;
  clear(name: string): Promise<boolean> | boolean | void;
}

export interface IdentityPort {
  getRedirectURL(path?: string): string;
  launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string | undefined>;
}

export interface BrowserPort {
  runtime: {
    id: string;
    getURL(path: string): string;
    sendMessage(message: unknown): Promise<unknown>;
  };
  storage: { session: StorageAreaPort; local: StorageAreaPort };
  alarms: AlarmsPort;
  identity?: IdentityPort;
  tabs: { sendMessage(tabId: number, message: unknown): Promise<unknown> };
  windows?: { create(data: { url: string; type: 'popup'; width: number; height: number }): Promise<unknown> };
}

export type FetchPort = (input: string, init?: RequestInit) => Promise<Response>;
export type Clock = () => number;
