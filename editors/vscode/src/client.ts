/** Starts the language client: the server command, its settings, and the status notification. */

import * as vscode from 'vscode';
import {
  type ClientCapabilities,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';
import type { ServerCommand } from './serverCommand';
import { SECTION, answerConfiguration } from './settings';

export const STATUS_NOTIFICATION = 'codestral/status';

export interface ClientHooks {
  /** The flat camelCase settings object the server receives. */
  settings: () => Promise<Record<string, unknown>>;
  onStatus: (params: unknown) => void;
}

export function createClient(server: ServerCommand, output: vscode.LogOutputChannel, hooks: ClientHooks, initialSettings: Record<string, unknown>): LanguageClient {
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: output,
    initializationOptions: initialSettings,
    middleware: {
      workspace: {
        // Answer the server's pull of section `codestral` with the same flat object
        // (server keys only, plus the key from SecretStorage).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          if (!params.items.some((item) => item.section === SECTION)) return answers;
          return answerConfiguration(params.items, answers, await hooks.settings());
        },
      },
    },
  };
  const client = new LanguageClient('codestral', 'Codestral', serverOptions, clientOptions);
  client.registerFeature(statusCapability);
  client.onNotification(STATUS_NOTIFICATION, hooks.onStatus);
  return client;
}

/** Tells the server that this client shows `codestral/status` itself, so it sends no
 * work-done progress (a progress bar per slow request would only repeat the status item). */
const statusCapability: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), codestralStatus: true };
  },
  initialize(): void {},
  getState: () => ({ kind: 'static' }),
  clear(): void {},
};

/** Push changed settings (the server also re-pulls section `codestral` if it can). */
export async function pushSettings(client: LanguageClient, settings: Record<string, unknown>): Promise<void> {
  if (!client.isRunning()) return;
  await client.sendNotification('workspace/didChangeConfiguration', { settings: { [SECTION]: settings } });
}
