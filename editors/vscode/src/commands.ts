/** The extension's commands: enable/disable (globally, per language), key, paths, restart, logs, trigger. */

import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Extension } from './extension';
import { expand, isExecutableFile } from './serverCommand';
import { SECTION, languageEnabled, withLanguage } from './settings';

async function setEnabled(enabled: boolean): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('enable', enabled, vscode.ConfigurationTarget.Global);
}

async function setLanguageEnabled(enabled: boolean): Promise<void> {
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  if (!languageId) {
    void vscode.window.showWarningMessage('Codestral: open a file first; the command applies to its language.');
    return;
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  const languages = config.get<Record<string, boolean>>('languages');
  await config.update('languages', withLanguage(languages, languageId, enabled), vscode.ConfigurationTarget.Global);
}

/**
 * Asks for an executable and writes a machine-scoped path setting. Not the Settings UI: in
 * Remote and code-server windows its User tab cannot hold machine-scoped settings, while
 * `update(..., Global)` writes them where the window reads them (the remote's settings).
 */
async function setPathSetting(key: 'serverPath' | 'interpreter', title: string, prompt: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const value = await vscode.window.showInputBox({
    title,
    prompt,
    value: config.get<string | null>(key) ?? '',
    ignoreFocusOut: true,
    validateInput: (text) => {
      const trimmed = text.trim();
      if (!trimmed) return undefined; // empty clears the setting
      const file = expand(trimmed, { homeDir: os.homedir(), workspaceFolders: folders });
      return isExecutableFile(file) ? undefined : `Not an executable file: ${file}`;
    },
  });
  if (value === undefined) return;
  try {
    // Empty removes the setting (back to searching), rather than writing a null into settings.json.
    await config.update(key, value.trim() || undefined, vscode.ConfigurationTarget.Global);
  } catch (err) {
    void vscode.window.showErrorMessage(`Codestral: could not save codestral.${key}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function registerCommands(ext: Extension): vscode.Disposable[] {
  const commands: Record<string, () => unknown> = {
    'codestral.enable': () => setEnabled(true),
    'codestral.disable': () => setEnabled(false),
    'codestral.enableLanguage': () => setLanguageEnabled(true),
    'codestral.disableLanguage': () => setLanguageEnabled(false),
    'codestral.setApiKey': () => ext.apiKey.promptAndStore(),
    'codestral.clearApiKey': () => ext.apiKey.clear(),
    'codestral.restart': () => ext.restart(),
    'codestral.setServerPath': () =>
      setPathSetting(
        'serverPath',
        'Codestral: server path',
        'The codestral-ls executable, or a Python that has codestral-ls installed. Empty: find it, else use the bundled server.',
      ),
    'codestral.setInterpreter': () =>
      setPathSetting(
        'interpreter',
        'Codestral: Python for the bundled server',
        'A Python 3.11 or newer; the extension creates its private venv with it. Empty: search PATH.',
      ),
    'codestral.showLogs': () => ext.output.show(),
    'codestral.trigger': () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger'),
    'codestral.showMenu': () => showMenu(),
  };
  return Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, run));
}

async function showMenu(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const enable = config.get<boolean>('enable', true);
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  const items: Array<vscode.QuickPickItem & { command: string }> = [
    enable
      ? { label: 'Disable completions', command: 'codestral.disable' }
      : { label: 'Enable completions', command: 'codestral.enable' },
  ];
  if (languageId) {
    const on = languageEnabled(true, config.get<Record<string, boolean>>('languages'), languageId);
    items.push(
      on
        ? { label: `Disable for ${languageId}`, command: 'codestral.disableLanguage' }
        : { label: `Enable for ${languageId}`, command: 'codestral.enableLanguage' },
    );
  }
  items.push(
    { label: 'Trigger a suggestion', command: 'codestral.trigger' },
    { label: 'Set API key…', command: 'codestral.setApiKey' },
    { label: 'Show logs', command: 'codestral.showLogs' },
    { label: 'Restart server', command: 'codestral.restart' },
  );
  const picked = await vscode.window.showQuickPick(items, { title: 'Codestral' });
  if (picked) await vscode.commands.executeCommand(picked.command);
}
