import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DiscoveryInput, findServer } from '../src/serverCommand';

function input(executables: string[], overrides: Partial<DiscoveryInput> = {}): DiscoveryInput {
  const set = new Set(executables);
  return {
    serverPath: undefined,
    workspaceFolders: ['/proj'],
    pathEnv: '/usr/local/bin:/usr/bin',
    homeDir: '/home/u',
    platform: 'linux',
    isExecutable: (file) => set.has(file),
    ...overrides,
  };
}

test('the serverPath setting wins over the venv and PATH', () => {
  const found = findServer(
    input(['/opt/cls', '/proj/.venv/bin/codestral-ls', '/usr/bin/codestral-ls'], { serverPath: '/opt/cls' }),
  );
  assert.deepEqual(found, { ok: true, server: { command: '/opt/cls', args: [], source: 'setting' } });
});

test('a Python interpreter as serverPath runs the module', () => {
  for (const name of ['python', 'python3', 'python3.12']) {
    const found = findServer(input([`/venv/bin/${name}`], { serverPath: `/venv/bin/${name}` }));
    assert.deepEqual(found, { ok: true, server: { command: `/venv/bin/${name}`, args: ['-m', 'codestral_ls'], source: 'setting' } });
  }
});

test('serverPath expands ~ and ${workspaceFolder}', () => {
  let found = findServer(input(['/home/u/bin/codestral-ls'], { serverPath: '~/bin/codestral-ls' }));
  assert.equal(found.ok && found.server.command, '/home/u/bin/codestral-ls');
  found = findServer(input(['/proj/env/bin/codestral-ls'], { serverPath: '${workspaceFolder}/env/bin/codestral-ls' }));
  assert.equal(found.ok && found.server.command, '/proj/env/bin/codestral-ls');
});

test('a serverPath that is not executable is an error, not a silent fallback', () => {
  const found = findServer(input(['/usr/bin/codestral-ls'], { serverPath: '/nope/codestral-ls' }));
  assert.equal(found.ok, false);
  assert.equal(!found.ok && found.reason, 'bad-setting');
  assert.match(!found.ok ? found.help : '', /codestral\.serverPath is set to "\/nope\/codestral-ls"/);
});

test('blank serverPath means look for it', () => {
  const found = findServer(input(['/usr/bin/codestral-ls'], { serverPath: '   ' }));
  assert.deepEqual(found, { ok: true, server: { command: '/usr/bin/codestral-ls', args: [], source: 'path' } });
});

test('the project venv wins over PATH, first workspace folder first', () => {
  const found = findServer(
    input(['/b/.venv/bin/codestral-ls', '/a/.venv/bin/codestral-ls', '/usr/bin/codestral-ls'], {
      workspaceFolders: ['/a', '/b'],
    }),
  );
  assert.deepEqual(found, { ok: true, server: { command: '/a/.venv/bin/codestral-ls', args: [], source: 'venv' } });
});

test('PATH is searched in order, skipping empty entries', () => {
  const found = findServer(
    input(['/usr/bin/codestral-ls', '/usr/local/bin/codestral-ls'], { pathEnv: '::/usr/local/bin:/usr/bin' }),
  );
  assert.equal(found.ok && found.server.command, '/usr/local/bin/codestral-ls');
});

test('Windows uses Scripts\\ and .exe', () => {
  const found = findServer(
    input(['/proj/.venv/Scripts/codestral-ls.exe'], { platform: 'win32', pathEnv: '' }),
  );
  assert.equal(found.ok && found.server.source, 'venv');
});

test('when nothing is installed, the bundled server is next; the log says where it looked', () => {
  const found = findServer(input([]));
  assert.equal(found.ok, false);
  assert.equal(!found.ok && found.reason, 'not-found');
  const help = found.ok ? '' : found.help;
  assert.match(help, /\/proj\/\.venv\/bin\/codestral-ls/);
  assert.match(help, /on PATH/);
});
