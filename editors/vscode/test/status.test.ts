import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusModel, switchedOff } from '../src/status';

test('starts as starting, then follows the server', () => {
  const model = new StatusModel();
  assert.equal(model.view().state, 'starting');
  assert.ok(model.apply({ state: 'ready', message: '' }));
  assert.deepEqual(model.view(), {
    state: 'ready',
    text: '$(check) Codestral',
    label: 'Codestral: ready',
    tooltip: 'Codestral: Ready\nClick for actions.',
    background: undefined,
  });
  model.apply({ state: 'fetching' });
  assert.equal(model.view().state, 'fetching');
  assert.equal(model.view().text, '$(sync~spin) Codestral');
});

test('error carries the message and the error background', () => {
  const model = new StatusModel();
  model.apply({ state: 'error', message: 'The API key was rejected (401): run "Codestral: Set API Key"' });
  const view = model.view();
  assert.equal(view.state, 'error');
  assert.equal(view.background, 'error');
  assert.equal(view.label, 'Codestral: error - The API key was rejected (401): run "Codestral: Set API Key"');
  assert.match(view.tooltip, /rejected \(401\)/);
});

test('rate-limited is a warning', () => {
  const model = new StatusModel();
  model.apply({ state: 'rate-limited', message: 'until 12:00:30' });
  assert.equal(model.view().background, 'warning');
  assert.equal(model.view().text, '$(watch) Codestral');
});

test('disabled with a uri concerns that document only, until another state names it', () => {
  const model = new StatusModel();
  model.apply({ state: 'ready' });
  model.apply({ state: 'disabled', message: 'excluded: .env', uri: 'file:///p/.env' });
  assert.equal(model.view('file:///p/.env').state, 'disabled');
  assert.equal(model.view('file:///p/.env').label, 'Codestral: disabled - excluded: .env');
  assert.equal(model.view('file:///p/a.py').state, 'ready');
  assert.equal(model.view().state, 'ready');
  model.apply({ state: 'ready', uri: 'file:///p/.env' });
  assert.equal(model.view('file:///p/.env').state, 'ready');
});

test('disabled without a uri is global', () => {
  const model = new StatusModel();
  model.apply({ state: 'disabled', message: 'turned off' });
  assert.equal(model.view('file:///p/a.py').state, 'disabled');
});

test('malformed notifications are ignored', () => {
  const model = new StatusModel();
  model.apply({ state: 'ready' });
  for (const bad of [null, 3, 'ready', {}, { state: 'Normal' }, { state: 42 }]) {
    assert.equal(model.apply(bad), false);
  }
  assert.equal(model.view().state, 'ready');
});

test('client states reset per-document state; a stopped server hides disabled docs', () => {
  const model = new StatusModel();
  model.apply({ state: 'disabled', uri: 'file:///x' });
  model.set('stopped');
  assert.equal(model.view('file:///x').state, 'stopped');
  model.set('missing', 'not found');
  assert.equal(model.view().background, 'error');
  assert.equal(model.view().label, 'Codestral: missing - not found');
});

test('a settings change forgets per-document verdicts, keeping the global state', () => {
  const model = new StatusModel();
  model.apply({ state: 'error', message: 'bad key' });
  model.apply({ state: 'disabled', message: 'python is off', uri: 'file:///p/a.py' });
  assert.equal(model.view('file:///p/a.py').state, 'disabled');
  model.forgetDocuments();
  assert.equal(model.view('file:///p/a.py').state, 'error');
});

test('switchedOff: the user\'s switches, in the server\'s words', () => {
  const cases: Array<[boolean, Record<string, boolean> | undefined, string | undefined, string | undefined]> = [
    [true, undefined, 'python', undefined],
    [false, undefined, 'python', 'completions are disabled'],
    [false, undefined, undefined, 'completions are disabled'],
    [true, { markdown: false }, 'markdown', 'completions are disabled for markdown'],
    [true, { markdown: false }, 'python', undefined],
    [true, { '*': false, python: true }, 'python', undefined],
    [true, { '*': false }, 'go', 'completions are disabled for go'],
    [true, { '*': false }, undefined, undefined],
  ];
  for (const [enable, languages, languageId, expected] of cases) {
    assert.equal(switchedOff(enable, languages, languageId), expected, JSON.stringify([enable, languages, languageId]));
  }
});

test('disabled by the user shows at once while the server runs, and goes when switched back', () => {
  const model = new StatusModel();
  model.apply({ state: 'error', message: 'rejected (401)' });
  const off = switchedOff(false, undefined, 'python');
  assert.equal(model.view('file:///a.py', off).label, 'Codestral: disabled - completions are disabled');
  assert.equal(model.view('file:///a.py', off).background, undefined);
  assert.equal(model.view('file:///a.py', undefined).label, 'Codestral: error - rejected (401)');
  // Before the server runs (or when it is missing) that state matters more.
  model.set('missing', 'not found');
  assert.equal(model.view('file:///a.py', off).state, 'missing');
});
