/** Activation: wires the server discovery, the language client, settings, status and commands. */

import * as os from 'node:os';
import * as vscode from 'vscode';
import { type LanguageClient, MessageType, ShowMessageNotification, State } from 'vscode-languageclient/node';
import { ApiKeyStore } from './apiKey';
import { ensureBundledServer, readyBundledServer } from './bundledServer';
import { createClient, pushSettings } from './client';
import { registerCommands } from './commands';
import { nameKeySource } from './keySource';
import { runProcess } from './runProcess';
import { type Discovery, type ServerCommand, findServer, isExecutableFile } from './serverCommand';
import { SECTION, serverSettingKeys, serverSettings } from './settings';
import { StatusBar } from './statusBar';

export class Extension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly keys: string[];
  /** Whether the last settings sent carried the key from SecretStorage (names it in a 401). */
  private storedKeySent = false;
  /** Counts starts and stops, so that a superseded start gives up. */
  private generation = 0;
  readonly output = vscode.window.createOutputChannel('Codestral', { log: true });
  readonly status = new StatusBar('codestral.showMenu');
  readonly apiKey: ApiKeyStore;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.keys = serverSettingKeys(context.extension.packageJSON);
    this.apiKey = new ApiKeyStore(context.secrets);
    this.apiKey.onTimeout = () => this.output.warn('The secret storage did not answer; starting without the stored API key.');
  }

  async settings(): Promise<Record<string, unknown>> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const settings = serverSettings(this.keys, (key) => config.get(key), await this.apiKey.get());
    this.storedKeySent = 'apiKey' in settings;
    return settings;
  }

  /** An installed server (serverPath, project venv, PATH), else the bundled one, set up on first use. */
  private async discover(): Promise<Discovery & { noPython?: boolean }> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const found = findServer({
      serverPath: config.get<string | null>('serverPath'),
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      pathEnv: process.env.PATH ?? '',
      homeDir: os.homedir(),
      platform: process.platform,
      isExecutable: isExecutableFile,
    });
    if (found.ok || found.reason === 'bad-setting') return found;
    this.output.info(`${found.help} Using the server bundled with the extension.`);
    const ready = readyBundledServer(this.context.extensionPath, this.context.globalStorageUri.fsPath, process.platform);
    if (ready) return { ok: true, server: ready };
    this.status.set('starting', 'Setting up the bundled server…');
    const bundled = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Codestral: setting up the bundled language server (first run: pip install)…' },
      () =>
        ensureBundledServer({
          extensionDir: this.context.extensionPath,
          storageDir: this.context.globalStorageUri.fsPath,
          interpreter: config.get<string | null>('interpreter'),
          platform: process.platform,
          run: runProcess,
          log: (line) => this.output.info(line),
        }),
    ).then(undefined, (err: unknown) => ({ ok: false as const, noPython: false, help: `Setting up the bundled server failed: ${String(err)}` }));
    if (bundled.ok) {
      if (bundled.installed) void vscode.window.showInformationMessage('Codestral: the bundled language server is installed.');
      return { ok: true, server: bundled.server };
    }
    return { ok: false, reason: 'not-found', help: bundled.help, noPython: bundled.noPython };
  }

  private reportMissing(help: string, noPython: boolean): void {
    this.output.error(help);
    this.status.set('missing', help);
    const actions = noPython ? ['Set Python Path', 'Set Server Path', 'Show Logs'] : ['Set Server Path', 'Show Logs'];
    void vscode.window.showErrorMessage(help, ...actions).then((choice) => {
      if (choice === 'Set Server Path') void vscode.commands.executeCommand('codestral.setServerPath');
      if (choice === 'Set Python Path') void vscode.commands.executeCommand('codestral.setInterpreter');
      if (choice === 'Show Logs') this.output.show();
    });
  }

  async start(): Promise<void> {
    // A restart while this start awaits (an install, the key) supersedes it: one client only.
    const generation = ++this.generation;
    const found = await this.discover();
    if (generation !== this.generation) return;
    if (!found.ok) {
      this.reportMissing(found.help, found.noPython === true);
      return;
    }
    await this.startClient(found.server);
  }

  private async startClient(server: ServerCommand): Promise<void> {
    this.output.info(`Starting ${[server.command, ...server.args].join(' ')} (from ${server.source})`);
    this.status.set('starting');
    const generation = this.generation;
    const initialSettings = await this.settings();
    if (generation !== this.generation) return;
    this.output.info(`Settings: ${Object.keys(initialSettings).length} keys${'apiKey' in initialSettings ? ', with the stored API key' : ''}`);
    const client = createClient(server, this.output, {
      settings: () => this.settings(),
      onStatus: (params) => this.status.onServerStatus(this.withKeySource(params)),
    }, initialSettings);
    this.client = client;
    // The server's pop-ups, with the key's source named as the user knows it (replaces the
    // client's default handler, which this one mirrors).
    client.onNotification(ShowMessageNotification.type, ({ type, message }) => {
      const text = nameKeySource(message, this.storedKeySent);
      if (type === MessageType.Error) void vscode.window.showErrorMessage(text);
      else if (type === MessageType.Warning) void vscode.window.showWarningMessage(text);
      else void vscode.window.showInformationMessage(text);
    });
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
    this.generation++;
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

  private withKeySource(params: unknown): unknown {
    if (typeof params !== 'object' || params === null) return params;
    const { message } = params as { message?: unknown };
    return typeof message === 'string' ? { ...params, message: nameKeySource(message, this.storedKeySent) } : params;
  }

  dispose(): void {
    void this.stop();
    this.status.dispose();
    this.output.dispose();
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
      if (e.affectsConfiguration('codestral.serverPath') || e.affectsConfiguration('codestral.interpreter')) void ext.restart();
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
