/**
 * The server bundled with the extension: the codestral-ls wheel in `server/`, installed on first
 * use into a private venv in the extension's global storage (like ruff-vscode bundles ruff).
 * pip fetches the wheel's dependencies (pygls, httpx, ...) from the package index, PyPI by
 * default; pip's own settings (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf) apply.
 */

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Runner, findPython, noPythonHelp, pythonCandidates } from './pythonFinder';
import type { ServerCommand } from './serverCommand';

export interface BundleInput {
  /** The extension's folder; the wheel is in its `server/` folder. */
  extensionDir: string;
  /** The extension's global storage folder (created if missing). */
  storageDir: string;
  /** The `codestral.interpreter` setting. */
  interpreter: string | null | undefined;
  platform: NodeJS.Platform;
  run: Runner;
  log: (line: string) => void;
}

export type BundleResult =
  | { ok: true; server: ServerCommand; installed: boolean }
  | { ok: false; help: string; noPython: boolean };

/** Written last into a venv whose install finished; a venv without it is never used. */
export const READY_MARKER = '.codestral-ready';

const PIP_TIMEOUT_MS = 10 * 60 * 1000;

export function bundledWheel(extensionDir: string): string | undefined {
  const dir = path.join(extensionDir, 'server');
  const wheels = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^codestral_ls-.*\.whl$/.test(f)).sort() : [];
  return wheels.length ? path.join(dir, wheels[wheels.length - 1]) : undefined;
}

/** One venv per wheel content, so an updated extension gets a fresh install and never a stale one. */
export function venvDirFor(storageDir: string, wheelBytes: Buffer): string {
  return path.join(storageDir, `server-${createHash('sha256').update(wheelBytes).digest('hex').slice(0, 12)}`);
}

export function venvPython(venvDir: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
}

function command(venvDir: string, platform: NodeJS.Platform): ServerCommand {
  // `python -m`: console scripts carry an absolute shebang, which the rename below would break.
  return { command: venvPython(venvDir, platform), args: ['-m', 'codestral_ls'], source: 'bundled' };
}

function lastLines(text: string, count = 6): string {
  return text.trim().split(/\r?\n/).slice(-count).join('\n');
}

/** The bundled server's command if its venv is ready (no install needed), else undefined. */
export function readyBundledServer(extensionDir: string, storageDir: string, platform: NodeJS.Platform): ServerCommand | undefined {
  const wheel = bundledWheel(extensionDir);
  if (wheel === undefined) return undefined;
  const venvDir = venvDirFor(storageDir, fs.readFileSync(wheel));
  return fs.existsSync(path.join(venvDir, READY_MARKER)) ? command(venvDir, platform) : undefined;
}

/**
 * The bundled server's command, installing it first if needed. The install goes to a temporary
 * folder renamed into place when complete, so a crash or a second window never leaves a
 * half-installed venv in use.
 */
export async function ensureBundledServer(input: BundleInput): Promise<BundleResult> {
  const wheel = bundledWheel(input.extensionDir);
  if (wheel === undefined) {
    return {
      ok: false,
      noPython: false,
      help: 'This build of the extension carries no server (no codestral_ls-*.whl in its server/ folder; ' +
        'scripts/package.sh puts it there). Set `codestral.serverPath` to a codestral-ls you installed.',
    };
  }
  const venvDir = venvDirFor(input.storageDir, fs.readFileSync(wheel));
  if (fs.existsSync(path.join(venvDir, READY_MARKER))) return { ok: true, server: command(venvDir, input.platform), installed: false };

  const candidates = pythonCandidates(input.interpreter);
  const search = await findPython(candidates, input.run);
  if (!search.ok) return { ok: false, noPython: true, help: noPythonHelp(search.tried, candidates.length === 1 && !!input.interpreter?.trim()) };
  const { python } = search;
  input.log(`Setting up the bundled server ${path.basename(wheel)} with Python ${python.version} (${python.executable}) in ${venvDir}`);

  fs.mkdirSync(input.storageDir, { recursive: true });
  const partial = `${venvDir}.partial-${process.pid}-${Date.now()}`;
  const fail = (what: string, output: string): BundleResult => {
    fs.rmSync(partial, { recursive: true, force: true });
    return { ok: false, noPython: false, help: `Setting up the bundled codestral-ls failed: ${what}\n${lastLines(output)}` };
  };
  const venv = await input.run(python.executable, ['-m', 'venv', partial], { timeoutMs: 120000 });
  input.log(`python -m venv: exit ${venv.code}`);
  if (venv.code !== 0) return fail(`\`${python.executable} -m venv\` exited with ${venv.code}.`, venv.stderr || venv.stdout);

  const pip = await input.run(
    venvPython(partial, input.platform),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', wheel],
    { timeoutMs: PIP_TIMEOUT_MS },
  );
  input.log(`pip install: exit ${pip.code}\n${lastLines(pip.stdout, 3)}`);
  if (pip.code !== 0) {
    return fail(
      `pip could not install it (exit ${pip.code}). pip downloads its dependencies from PyPI: check the ` +
        'network or proxy, or point pip at a mirror (PIP_INDEX_URL / pip.conf).',
      pip.stderr || pip.stdout,
    );
  }
  fs.writeFileSync(path.join(partial, READY_MARKER), `${path.basename(wheel)}\n`);
  try {
    fs.renameSync(partial, venvDir);
  } catch (err) {
    // Another window finished first: use its venv.
    fs.rmSync(partial, { recursive: true, force: true });
    if (!fs.existsSync(path.join(venvDir, READY_MARKER))) throw err;
  }
  return { ok: true, server: command(venvDir, input.platform), installed: true };
}
