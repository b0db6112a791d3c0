/** Activation: wires the server discovery, the language client, settings, status and commands. */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { type LanguageClient, State } from 'vscode-languageclient/node';
import { ApiKeyStore } from './apiKey';
import { createClient, pushSettings } from './client';
import { registerCommands } from './commands';
import { findServer } from './serverCommand';
import { SECTION, serverSettingKeys, serverSettings } from './settings';
import { StatusBar } from './statusBar';

export class Extension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly keys: string[];
  readonly output = vscode.window.createOutputChannel('Codestral', { log: true });
  readonly status = new StatusBar('codestral.showMenu');
  readonly apiKey: ApiKeyStore;

  constructor(context: vscode.ExtensionContext) {
    this.keys = serverSettingKeys(context.extension.packageJSON);
    this.apiKey = new ApiKeyStore(context.secrets);
    this.apiKey.onTimeout = () => this.output.warn('The secret storage did not answer; starting without the stored API key.');
  }

  async settings(): Promise<Record<string, unknown>> {
    const config = vscode.workspace.getConfiguration(SECTION);
    return serverSettings(this.keys, (key) => config.get(key), await this.apiKey.get());
  }

  async start(): Promise<void> {
    const serverPath = vscode.workspace.getConfiguration(SECTION).get<string | null>('serverPath');
    const found = findServer({
      serverPath,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      pathEnv: process.env.PATH ?? '',
      homeDir: os.homedir(),
      platform: process.platform,
      isExecutable,
    });
    if (!found.ok) {
      this.output.error(found.help);
      this.status.set('missing', found.help);
      void vscode.window.showErrorMessage(found.help, 'Set Server Path', 'Show Logs').then((choice) => {
        if (choice === 'Set Server Path') void vscode.commands.executeCommand('workbench.action.openSettings', 'codestral.serverPath');
        if (choice === 'Show Logs') this.output.show();
      });
      return;
    }
    const { server } = found;
    this.output.info(`Starting ${[server.command, ...server.args].join(' ')} (from ${server.source})`);
    this.status.set('starting');
    const initialSettings = await this.settings();
    this.output.info(`Settings: ${Object.keys(initialSettings).length} keys${'apiKey' in initialSettings ? ', with the stored API key' : ''}`);
    const client = createClient(server, this.output, {
      settings: () => this.settings(),
      onStatus: (params) => this.status.onServerStatus(params),
    }, initialSettings);
    this.client = client;
    client.onDidChangeState((e) => {
      // Keep the message of a failed start, set below.
      if (e.newState === State.Stopped && this.client === client && this.status.model.current !== 'stopped') {
        this.status.set('stopped');
      }
    });
    try {
      await client.start();
      // A key or setting changed while the server was starting was not pushed: push it now.
      const settings = await this.settings();
      if (JSON.stringify(settings) !== JSON.stringify(initialSettings)) await pushSettings(client, settings);
    } catch (err) {
      const message = `codestral-ls failed to start: ${err instanceof Error ? err.message : String(err)}`;
      this.output.error(message);
      this.status.set('stopped', message);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.dispose().catch((err: unknown) => this.output.warn(`stopping: ${String(err)}`));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async onSettingsChanged(): Promise<void> {
    this.status.settingsChanged();
    if (this.client) await pushSettings(this.client, await this.settings());
  }

  dispose(): void {
    void this.stop();
    this.status.dispose();
    this.output.dispose();
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

let extension: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const ext = new Extension(context);
  extension = ext;
  context.subscriptions.push(
    ext,
    ...registerCommands(ext),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('codestral.serverPath')) void ext.restart();
      else if (e.affectsConfiguration(SECTION)) void ext.onSettingsChanged();
    }),
    ext.apiKey.onDidChange(() => void ext.onSettingsChanged()),
  );
  await ext.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}
