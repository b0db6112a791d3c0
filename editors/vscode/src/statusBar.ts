/** The status-bar item and the `codestral.state` context key, drawn from a StatusModel. */

import * as vscode from 'vscode';
import { SECTION } from './settings';
import { StatusModel, switchedOff } from './status';

export class StatusBar implements vscode.Disposable {
  readonly model = new StatusModel();
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(menuCommand: string) {
    this.item = vscode.window.createStatusBarItem('codestral.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Codestral';
    this.item.command = menuCommand;
    this.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(() => this.render()));
    this.render();
    this.item.show();
  }

  /** Feeds a `codestral/status` notification. */
  onServerStatus(params: unknown): void {
    if (this.model.apply(params)) this.render();
  }

  settingsChanged(): void {
    this.model.forgetDocuments();
    this.render();
  }

  set(state: 'starting' | 'stopped' | 'missing', message = ''): void {
    this.model.set(state, message);
    this.render();
  }

  render(): void {
    const document = vscode.window.activeTextEditor?.document;
    const config = vscode.workspace.getConfiguration(SECTION);
    const off = switchedOff(config.get<boolean>('enable', true), config.get<Record<string, boolean>>('languages'), document?.languageId);
    const view = this.model.view(document?.uri.toString(), off);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label };
    this.item.backgroundColor = view.background
      ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`)
      : undefined;
    void vscode.commands.executeCommand('setContext', 'codestral.state', view.state);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
