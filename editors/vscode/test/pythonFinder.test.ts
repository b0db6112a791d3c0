import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PYTHON_NAMES, type RunResult, type Runner, findPython, judgeProbe, noPythonHelp, pythonCandidates } from '../src/pythonFinder';

const ok = (exe: string, version: string, venv = 'venv-ok'): RunResult => ({ code: 0, stdout: `${exe}\n${version}\n${venv}\n`, stderr: '' });
const notFound: RunResult = { code: null, stdout: '', stderr: '' };

test('candidates: the setting alone when set, else newest names first', () => {
  assert.deepEqual(pythonCandidates('  /opt/py/bin/python3 '), ['/opt/py/bin/python3']);
  assert.deepEqual(pythonCandidates(null), ['python3.13', 'python3.12', 'python3.11', 'python3', 'python']);
  assert.deepEqual(pythonCandidates(''), [...PYTHON_NAMES]);
});

test('judgeProbe: version, venv support and failures', () => {
  const cases: Array<[RunResult, string | undefined]> = [
    [ok('/usr/bin/python3.11', '3.11.2'), undefined],
    [ok('/usr/bin/python3.13', '3.13.0'), undefined],
    [ok('/usr/bin/python4', '4.0.0'), undefined],
    [ok('/usr/bin/python3.10', '3.10.12'), 'is Python 3.10.12; 3.11 or newer is needed'],
    [ok('/usr/bin/python2', '2.7.18'), 'is Python 2.7.18; 3.11 or newer is needed'],
    [ok('/usr/bin/python3', '3.11.2', "venv-missing: No module named 'ensurepip'"),
      'is Python 3.11.2 but cannot create a venv (on Debian/Ubuntu: apt install python3-venv)'],
    [notFound, 'not found'],
    [{ code: null, stdout: '', stderr: 'timed out after 15 s' }, 'could not be run (timed out after 15 s)'],
    [{ code: 127, stdout: '', stderr: 'pyenv: python3.13: command not found\n' }, 'did not run (exit 127: pyenv: python3.13: command not found)'],
  ];
  for (const [result, unfit] of cases) assert.equal(judgeProbe(result).unfit, unfit, JSON.stringify(result));
});

test('findPython takes the first fit candidate and says why the others were skipped', async () => {
  const replies: Record<string, RunResult> = {
    'python3.13': { code: 127, stdout: '', stderr: 'pyenv: python3.13: command not found' },
    'python3.12': ok('/usr/bin/python3.12', '3.12.1', 'venv-missing: x'),
    'python3.11': ok('/usr/bin/python3.11', '3.11.9'),
  };
  const asked: string[] = [];
  const run: Runner = async (command) => {
    asked.push(command);
    return replies[command] ?? notFound;
  };
  const found = await findPython(pythonCandidates(undefined), run);
  assert.deepEqual(found, { ok: true, python: { candidate: 'python3.11', executable: '/usr/bin/python3.11', version: '3.11.9' } });
  assert.deepEqual(asked, ['python3.13', 'python3.12', 'python3.11']);
});

test('no fit Python: the help lists what was tried and the ways out', async () => {
  const run: Runner = async (command) => (command === 'python3' ? ok('/usr/bin/python3', '3.9.2') : notFound);
  const found = await findPython(pythonCandidates(undefined), run);
  assert.equal(found.ok, false);
  const help = noPythonHelp(found.ok ? [] : found.tried, false);
  assert.match(help, /Python 3\.11\+/);
  assert.match(help, /python3 is Python 3\.9\.2; 3\.11 or newer is needed/);
  assert.match(help, /python3\.13 not found/);
  assert.match(help, /on PATH/);
  assert.match(help, /codestral\.interpreter/);
  assert.match(help, /codestral\.serverPath/);
  assert.match(noPythonHelp([{ candidate: '/x/python', why: 'not found' }], true), /found none on codestral\.interpreter/);
});
