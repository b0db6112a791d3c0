/** Finds a Python >= 3.11 that can create a venv, for the server bundled with the extension. */

export const MIN_PYTHON = { major: 3, minor: 11 };

/** The names tried on PATH, newest first, when `codestral.interpreter` is empty. */
export const PYTHON_NAMES: readonly string[] = ['python3.13', 'python3.12', 'python3.11', 'python3', 'python'];

export interface RunResult {
  /** The exit code, or null when the program could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never rejects (a failure to start is `code: null`). */
export type Runner = (command: string, args: readonly string[], options?: { timeoutMs?: number }) => Promise<RunResult>;

export interface FoundPython {
  /** What was tried (a name on PATH or the setting's path). */
  candidate: string;
  /** `sys.executable`: an absolute path, kept in the log. */
  executable: string;
  version: string;
}

export type PythonSearch = { ok: true; python: FoundPython } | { ok: false; tried: Array<{ candidate: string; why: string }> };

/** Prints the executable, the version and whether venv + ensurepip are there (Debian splits them out). */
export const PROBE =
  'import sys\n' +
  'print(sys.executable)\n' +
  'print("%d.%d.%d" % sys.version_info[:3])\n' +
  'try:\n' +
  '    import venv, ensurepip\n' +
  '    print("venv-ok")\n' +
  'except ImportError as e:\n' +
  '    print("venv-missing: %s" % e)\n';

/** The explicit setting alone (if it is wrong, say so rather than quietly use another), else PATH names. */
export function pythonCandidates(configured: string | null | undefined): string[] {
  const explicit = (configured ?? '').trim();
  return explicit ? [explicit] : [...PYTHON_NAMES];
}

/** Reads the probe's output: the reason a candidate is unfit, or undefined when it fits. */
export function judgeProbe(result: RunResult): { executable: string; version: string; unfit?: string } {
  if (result.code === null) {
    return { executable: '', version: '', unfit: result.stderr.trim() ? `could not be run (${result.stderr.trim()})` : 'not found' };
  }
  const lines = result.stdout.trim().split(/\r?\n/);
  const [executable = '', version = '', venvLine = ''] = lines;
  const match = /^(\d+)\.(\d+)\.\d+/.exec(version);
  if (result.code !== 0 || !match) {
    const said = (result.stderr.trim().split(/\r?\n/).pop() ?? '').slice(0, 200);
    return { executable, version: '', unfit: `did not run (exit ${result.code}${said ? `: ${said}` : ''})` };
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_PYTHON.major || (major === MIN_PYTHON.major && minor < MIN_PYTHON.minor)) {
    return { executable, version, unfit: `is Python ${version}; ${MIN_PYTHON.major}.${MIN_PYTHON.minor} or newer is needed` };
  }
  if (venvLine !== 'venv-ok') {
    return { executable, version, unfit: `is Python ${version} but cannot create a venv (on Debian/Ubuntu: apt install python3-venv)` };
  }
  return { executable, version };
}

export async function findPython(candidates: readonly string[], run: Runner): Promise<PythonSearch> {
  const tried: Array<{ candidate: string; why: string }> = [];
  for (const candidate of candidates) {
    const verdict = judgeProbe(await run(candidate, ['-c', PROBE], { timeoutMs: 15000 }));
    if (verdict.unfit === undefined) return { ok: true, python: { candidate, executable: verdict.executable, version: verdict.version } };
    tried.push({ candidate, why: verdict.unfit });
  }
  return { ok: false, tried };
}

/** What the user reads when no Python fits: what was tried and the two ways out. */
export function noPythonHelp(tried: ReadonlyArray<{ candidate: string; why: string }>, configured: boolean): string {
  const list = tried.map((t) => `${t.candidate} ${t.why}`).join('; ');
  const where = configured ? 'codestral.interpreter' : 'PATH';
  return (
    `The extension sets up its bundled codestral-ls in a private venv and needs Python ${MIN_PYTHON.major}.${MIN_PYTHON.minor}+ ` +
    `for that, but found none on ${where} (${list}). Install Python ${MIN_PYTHON.major}.${MIN_PYTHON.minor} or newer ` +
    '(python.org, or your package manager), or set `codestral.interpreter` to one, or set `codestral.serverPath` to ' +
    'a codestral-ls you installed yourself; then run "Codestral: Restart Server".'
  );
}
