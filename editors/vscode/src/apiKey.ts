/** The API key in VS Code's SecretStorage (never in settings.json). */

import * as vscode from 'vscode';

const SECRET_NAME = 'codestral.apiKey';

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /**
   * The stored key, or undefined. Gives up after `timeoutMs`: a secret store that never answers
   * (seen in some web hosts) must not keep the server from starting.
   */
  async get(timeoutMs = 5000): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        this.onTimeout?.();
        resolve(undefined);
      }, timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve(this.secrets.get(SECRET_NAME)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  onTimeout: (() => void) | undefined;

  /** Fires when the key is set or deleted, here or in another window. */
  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === SECRET_NAME) listener();
    });
  }

  async promptAndStore(): Promise<boolean> {
    const key = await vscode.window.showInputBox({
      title: 'Codestral API key',
      prompt: 'Stored in VS Code\'s secret storage, not in settings.json. Leave empty to cancel.',
      password: true,
      ignoreFocusOut: true,
    });
    if (!key || !key.trim()) return false;
    await this.secrets.store(SECRET_NAME, key.trim());
    return true;
  }

  clear(): Thenable<void> {
    return this.secrets.delete(SECRET_NAME);
  }
}
