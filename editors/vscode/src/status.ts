/** The server's state as the status bar shows it: a small state machine fed by `codestral/status`. */

import { languageEnabled } from './settings';

export const SERVER_STATES = ['ready', 'fetching', 'error', 'rate-limited', 'disabled'] as const;
export type ServerState = (typeof SERVER_STATES)[number];
/** States the extension knows before or without the server. */
export type ClientState = 'starting' | 'stopped' | 'missing';
export type State = ServerState | ClientState;

export interface StatusParams {
  state: string;
  message?: string;
  uri?: string;
}

export interface StatusView {
  state: State;
  /** Status-bar text with a codicon. */
  text: string;
  /** Read by screen readers and by the end-to-end test: `Codestral: <state>[ - message]`. */
  label: string;
  tooltip: string;
  background: 'error' | 'warning' | undefined;
}

const ICONS: Record<State, string> = {
  ready: '$(check)',
  fetching: '$(sync~spin)',
  error: '$(error)',
  'rate-limited': '$(watch)',
  disabled: '$(circle-slash)',
  starting: '$(loading~spin)',
  stopped: '$(debug-stop)',
  missing: '$(warning)',
};

const DEFAULT_MESSAGES: Record<State, string> = {
  ready: 'Ready',
  fetching: 'Fetching a suggestion…',
  error: 'Error',
  'rate-limited': 'Rate-limited',
  disabled: 'Disabled',
  starting: 'Starting the server…',
  stopped: 'The server has stopped; run "Codestral: Restart Server"',
  missing: 'The server was not found',
};

export function isServerState(value: unknown): value is ServerState {
  return typeof value === 'string' && (SERVER_STATES as readonly string[]).includes(value);
}

/**
 * Why the user's own switches (`codestral.enable`, `codestral.languages`) leave a file of
 * `languageId` without completions, in the server's words; undefined when they do not. The
 * status bar says so at once, without waiting for the server to refuse the next request.
 */
export function switchedOff(
  enable: boolean,
  languages: Readonly<Record<string, boolean>> | undefined,
  languageId: string | undefined,
): string | undefined {
  if (!enable) return 'completions are disabled';
  if (languageId !== undefined && !languageEnabled(true, languages, languageId)) return `completions are disabled for ${languageId}`;
  return undefined;
}

/**
 * Global state plus the set of documents the server said are disabled. `disabled` with a `uri`
 * concerns that file only; any other state naming the uri lifts it.
 */
export class StatusModel {
  private state: State = 'starting';
  private message = '';
  private readonly disabledDocs = new Map<string, string>();

  /** Applies a `codestral/status` notification; returns false (and ignores it) if malformed. */
  apply(params: unknown): boolean {
    if (typeof params !== 'object' || params === null) return false;
    const { state, message, uri } = params as Partial<StatusParams>;
    if (!isServerState(state)) return false;
    const text = typeof message === 'string' ? message : '';
    if (typeof uri === 'string' && uri) {
      if (state === 'disabled') {
        this.disabledDocs.set(uri, text);
        return true;
      }
      this.disabledDocs.delete(uri);
    }
    this.state = state;
    this.message = text;
    return true;
  }

  /**
   * Settings changed: per-document verdicts may be stale (a language switched back on). The
   * server re-sends `disabled` on the next request for a document that is still off.
   */
  forgetDocuments(): void {
    this.disabledDocs.clear();
  }

  /** Client-side states: starting, stopped, missing (clears per-document state). */
  set(state: ClientState, message = ''): void {
    this.state = state;
    this.message = message;
    this.disabledDocs.clear();
  }

  get current(): State {
    return this.state;
  }

  /** `off`: the reason from `switchedOff` for the active file, which wins while the server runs. */
  view(activeUri?: string, off?: string): StatusView {
    let state = this.state;
    let message = this.message;
    const serverUp = state !== 'starting' && state !== 'stopped' && state !== 'missing';
    if (serverUp && off !== undefined) {
      state = 'disabled';
      message = off;
    } else if (serverUp && activeUri !== undefined && this.disabledDocs.has(activeUri)) {
      state = 'disabled';
      message = this.disabledDocs.get(activeUri) ?? '';
    }
    const shown = message || DEFAULT_MESSAGES[state];
    return {
      state,
      text: `${ICONS[state]} Codestral`,
      label: message ? `Codestral: ${state} - ${message}` : `Codestral: ${state}`,
      tooltip: `Codestral: ${shown}\nClick for actions.`,
      background: state === 'error' || state === 'missing' ? 'error' : state === 'rate-limited' ? 'warning' : undefined,
    };
  }
}
