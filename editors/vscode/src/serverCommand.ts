/**
 * Finds an installed codestral-ls: the serverPath setting, else the project's venv, else PATH.
 * When none is found the extension sets up the server it bundles (bundledServer.ts).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log and the status tooltip. */
  source: 'setting' | 'venv' | 'path' | 'bundled';
}

/**
 * `bad-setting`: serverPath names no executable (an error, never a silent fallback);
 * `not-found`: nothing installed, so the bundled server is next.
 */
export type Discovery = { ok: true; server: ServerCommand } | { ok: false; reason: 'bad-setting' | 'not-found'; help: string };

export interface DiscoveryInput {
  /** The `codestral.serverPath` setting; empty or null means "look for it". */
  serverPath: string | null | undefined;
  workspaceFolders: readonly string[];
  /** The PATH environment variable. */
  pathEnv: string;
  homeDir: string;
  platform: NodeJS.Platform;
  isExecutable: (file: string) => boolean;
}

const PYTHON = /^python(\d+(\.\d+)?)?(\.exe)?$/i;

export function findServer(input: DiscoveryInput): Discovery {
  const exe = input.platform === 'win32' ? 'codestral-ls.exe' : 'codestral-ls';
  const configured = (input.serverPath ?? '').trim();
  if (configured) {
    const resolved = expand(configured, input);
    if (!input.isExecutable(resolved)) {
      return {
        ok: false,
        reason: 'bad-setting',
        help:
          `codestral.serverPath is set to "${configured}", which is not an executable file` +
          (resolved !== configured ? ` (resolved to "${resolved}")` : '') +
          '. Point it at the codestral-ls executable or at a Python that has codestral-ls installed, ' +
          'or clear it to use the project venv, PATH or the server bundled with the extension.',
      };
    }
    // A Python interpreter runs the server as a module: `python -m codestral_ls`.
    const args = PYTHON.test(path.basename(resolved)) ? ['-m', 'codestral_ls'] : [];
    return { ok: true, server: { command: resolved, args, source: 'setting' } };
  }

  const venvBin = input.platform === 'win32' ? ['.venv', 'Scripts'] : ['.venv', 'bin'];
  for (const folder of input.workspaceFolders) {
    const candidate = path.join(folder, ...venvBin, exe);
    if (input.isExecutable(candidate)) {
      return { ok: true, server: { command: candidate, args: [], source: 'venv' } };
    }
  }

  const delimiter = input.platform === 'win32' ? ';' : ':';
  for (const dir of input.pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe);
    if (input.isExecutable(candidate)) {
      return { ok: true, server: { command: candidate, args: [], source: 'path' } };
    }
  }

  const looked = [
    ...input.workspaceFolders.map((f) => path.join(f, ...venvBin, exe)),
    `${exe} on PATH`,
  ];
  return { ok: false, reason: 'not-found', help: `No installed codestral-ls found (looked for: ${looked.join(', ')}).` };
}

/** `~` and `${workspaceFolder}` expanded, as VS Code users expect in path settings. */
export function expand(value: string, input: Pick<DiscoveryInput, 'homeDir' | 'workspaceFolders'>): string {
  let out = value;
  if (out === '~' || out.startsWith('~/')) out = input.homeDir + out.slice(1);
  const first = input.workspaceFolders[0];
  if (first !== undefined) out = out.split('${workspaceFolder}').join(first);
  return out;
}

/** An existing regular file the user may run. */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
