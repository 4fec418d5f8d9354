/**
 * The one handle a webview has on VS Code: typed messages out, and a small persisted state that
 * survives the page being torn down when the view is hidden.
 */
import type { FromWebview, ToWebview } from '../../src/protocol';

interface VsCodeApi<S> {
  postMessage(msg: FromWebview): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface WebviewHost<S> {
  post(msg: FromWebview): void;
  state(): S | undefined;
  saveState(state: S): void;
  /** Calls `handle` for every message from the extension, then says `ready` (the host waits for it). */
  listen(handle: (msg: ToWebview) => void): void;
}

export function connect<S>(): WebviewHost<S> {
  // acquireVsCodeApi may be called once per page; tests outside VS Code get a stand-in.
  const api: VsCodeApi<S> =
    typeof acquireVsCodeApi === 'function'
      ? acquireVsCodeApi<S>()
      : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };
  return {
    post: (msg) => api.postMessage(msg),
    state: () => api.getState(),
    saveState: (s) => api.setState(s),
    listen(handle) {
      window.addEventListener('message', (e: MessageEvent) => {
        const msg = e.data as ToWebview | null;
        if (msg && typeof msg === 'object' && typeof msg.type === 'string') handle(msg);
      });
      api.postMessage({ type: 'ready' });
    },
  };
}
