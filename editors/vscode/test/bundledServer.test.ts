import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { type BundleInput, READY_MARKER, ensureBundledServer, readyBundledServer, venvDirFor } from '../src/bundledServer';
import type { RunResult, Runner } from '../src/pythonFinder';

const PYTHON = '/usr/bin/python3.12';

/** An extension folder with a wheel, an empty storage folder, and a fake Python + pip. */
function fixture(options: { wheel?: boolean; pipExit?: number; python?: boolean } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codestral-bundle-'));
  const extensionDir = path.join(root, 'ext');
  const storageDir = path.join(root, 'storage');
  fs.mkdirSync(path.join(extensionDir, 'server'), { recursive: true });
  if (options.wheel !== false) fs.writeFileSync(path.join(extensionDir, 'server', 'codestral_ls-0.1.0-py3-none-any.whl'), 'wheel bytes');
  const calls: string[][] = [];
  const run: Runner = async (command, args): Promise<RunResult> => {
    calls.push([command, ...args]);
    if (args[0] === '-c') {
      return options.python === false || command !== 'python3.12'
        ? { code: null, stdout: '', stderr: '' }
        : { code: 0, stdout: `${PYTHON}\n3.12.1\nvenv-ok\n`, stderr: '' };
    }
    if (args[1] === 'venv') {
      fs.mkdirSync(path.join(args[2], 'bin'), { recursive: true });
      fs.writeFileSync(path.join(args[2], 'bin', 'python'), '');
      return { code: 0, stdout: '', stderr: '' };
    }
    if (args[1] === 'pip') {
      const exit = options.pipExit ?? 0;
      return { code: exit, stdout: exit ? '' : 'Successfully installed codestral-ls-0.1.0', stderr: exit ? 'ERROR: No matching distribution found for pygls' : '' };
    }
    throw new Error(`unexpected ${command} ${args.join(' ')}`);
  };
  const input: BundleInput = { extensionDir, storageDir, interpreter: undefined, platform: 'linux', run, log: () => {} };
  return { root, input, calls, venvDir: venvDirFor(storageDir, Buffer.from('wheel bytes')) };
}

test('first use: venv from a found Python, pip installs the bundled wheel, then it is reused', async () => {
  const { input, calls, venvDir } = fixture();
  assert.equal(readyBundledServer(input.extensionDir, input.storageDir, 'linux'), undefined);
  const first = await ensureBundledServer(input);
  assert.deepEqual(first, {
    ok: true,
    installed: true,
    server: { command: path.join(venvDir, 'bin', 'python'), args: ['-m', 'codestral_ls'], source: 'bundled' },
  });
  assert.ok(fs.existsSync(path.join(venvDir, READY_MARKER)));
  const venvCall = calls.find((c) => c[2] === 'venv');
  assert.equal(venvCall?.[0], PYTHON);
  assert.match(venvCall?.[3] ?? '', /\.partial-/); // built aside, renamed into place when complete
  const pipCall = calls.find((c) => c[2] === 'pip');
  assert.ok(pipCall?.[0].includes('.partial-'));
  assert.deepEqual(pipCall?.slice(2, 4), ['pip', 'install']);
  assert.match(pipCall?.at(-1) ?? '', /server\/codestral_ls-0\.1\.0-py3-none-any\.whl$/);
  assert.deepEqual(fs.readdirSync(input.storageDir), [path.basename(venvDir)]);

  calls.length = 0;
  const second = await ensureBundledServer(input);
  assert.equal(second.ok && second.installed, false);
  assert.deepEqual(calls, [], 'a ready venv is used without running anything');
  assert.deepEqual(readyBundledServer(input.extensionDir, input.storageDir, 'linux'), first.ok ? first.server : undefined);
});

test('another wheel (an updated extension) gets its own venv', () => {
  assert.notEqual(venvDirFor('/s', Buffer.from('a')), venvDirFor('/s', Buffer.from('b')));
  assert.match(path.basename(venvDirFor('/s', Buffer.from('a'))), /^server-[0-9a-f]{12}$/);
});

test('a failed pip install says why, leaves nothing behind, and is retried next time', async () => {
  const { input, venvDir } = fixture({ pipExit: 1 });
  const result = await ensureBundledServer(input);
  assert.equal(result.ok, false);
  const help = result.ok ? '' : result.help;
  assert.match(help, /pip could not install it \(exit 1\)/);
  assert.match(help, /PyPI/);
  assert.match(help, /No matching distribution found for pygls/);
  assert.equal(!result.ok && result.noPython, false);
  assert.deepEqual(fs.existsSync(input.storageDir) ? fs.readdirSync(input.storageDir) : [], []);
  assert.equal(fs.existsSync(venvDir), false);
});

test('no Python 3.11+: says so, with what to do', async () => {
  const { input } = fixture({ python: false });
  const result = await ensureBundledServer(input);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.noPython, true);
  assert.match(result.ok ? '' : result.help, /needs Python 3\.11\+.*found none on PATH/);
});

test('a build without a wheel points at serverPath', async () => {
  const { input } = fixture({ wheel: false });
  const result = await ensureBundledServer(input);
  assert.match(result.ok ? '' : result.help, /carries no server.*codestral\.serverPath/);
});
