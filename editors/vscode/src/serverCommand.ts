/** Finds the codestral-ls executable: the serverPath setting, else the project's venv, else PATH. */

import * as path from 'node:path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log and the status tooltip. */
  source: 'setting' | 'venv' | 'path';
}

export type Discovery = { ok: true; server: ServerCommand } | { ok: false; help: string };

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
        help:
          `codestral.serverPath is set to "${configured}", which is not an executable file` +
          (resolved !== configured ? ` (resolved to "${resolved}")` : '') +
          '. Point it at the codestral-ls executable or at a Python that has codestral-ls installed, ' +
          'or clear it to use the project venv or PATH.',
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
  return {
    ok: false,
    help:
      'The codestral-ls language server was not found. Install it with `pipx install codestral-ls` ' +
      '(or `pip install codestral-ls` into the project\'s .venv), or set `codestral.serverPath` to ' +
      'the executable or to a Python that has it installed, then run "Codestral: Restart Server". ' +
      `Looked for: ${looked.join(', ')}.`,
  };
}

function expand(value: string, input: DiscoveryInput): string {
  let out = value;
  if (out === '~' || out.startsWith('~/')) out = input.homeDir + out.slice(1);
  const first = input.workspaceFolders[0];
  if (first !== undefined) out = out.split('${workspaceFolder}').join(first);
  return out;
}
