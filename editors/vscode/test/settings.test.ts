import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXTENSION_ONLY_KEYS, SECRET_KEYS, answerConfiguration, languageEnabled, serverSettingKeys, serverSettings, withLanguage } from '../src/settings';

// Compiled to out/test/, so the package root is two levels up.
const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

test('server keys come from package.json, minus the extension-only ones', () => {
  const keys = serverSettingKeys(packageJson);
  assert.ok(keys.includes('debounceMs'));
  assert.ok(keys.includes('endpoint'));
  for (const key of EXTENSION_ONLY_KEYS) assert.ok(!keys.includes(key), key);
  // The key is never a setting in settings.json.
  for (const key of SECRET_KEYS) {
    assert.ok(!keys.includes(key), key);
    assert.equal(packageJson.contributes.configuration.properties[`codestral.${key}`], undefined);
  }
});

test('every extension-only key is declared in package.json', () => {
  for (const key of EXTENSION_ONLY_KEYS) {
    assert.ok(packageJson.contributes.configuration.properties[`codestral.${key}`], key);
  }
});

test('every declared setting has a default, a type, a scope and a description', () => {
  for (const [name, schema] of Object.entries<Record<string, unknown>>(packageJson.contributes.configuration.properties)) {
    assert.ok('default' in schema, `${name}: default`);
    assert.ok(schema.type, `${name}: type`);
    assert.ok(schema.scope, `${name}: scope`);
    assert.ok(schema.markdownDescription || schema.description, `${name}: description`);
  }
});

test('settings that could run commands or redirect the key are machine-scoped (not workspace)', () => {
  const props = packageJson.contributes.configuration.properties;
  for (const key of ['serverPath', 'apiKeyCommand', 'endpoint', 'urlTemplate', 'headers']) {
    assert.equal(props[`codestral.${key}`].scope, 'machine', key);
  }
});

test('serverSettings is flat camelCase, sends nulls, adds a stored key', () => {
  const values: Record<string, unknown> = { debounceMs: 50, endpoint: null, languages: { markdown: false } };
  const out = serverSettings(['debounceMs', 'endpoint', 'languages', 'model'], (k) => values[k], 'sk-1');
  assert.deepEqual(out, { debounceMs: 50, endpoint: null, languages: { markdown: false }, model: null, apiKey: 'sk-1' });
});

test('serverSettings leaves apiKey out without a stored key, so env vars still work', () => {
  assert.deepEqual(serverSettings(['enable'], () => true, undefined), { enable: true });
  assert.deepEqual(serverSettings(['enable'], () => true, ''), { enable: true });
});

test('the configuration array form is read too', () => {
  const keys = serverSettingKeys({
    contributes: { configuration: [{ properties: { 'codestral.a': {}, 'other.b': {} } }, { properties: { 'codestral.serverPath': {}, 'codestral.c': {} } }] },
  });
  assert.deepEqual(keys, ['a', 'c']);
});

test('withLanguage and languageEnabled', () => {
  assert.deepEqual(withLanguage(undefined, 'python', false), { python: false });
  assert.deepEqual(withLanguage({ '*': false, go: true }, 'go', false), { '*': false, go: false });
  assert.equal(languageEnabled(true, {}, 'python'), true);
  assert.equal(languageEnabled(false, { python: true }, 'python'), false);
  assert.equal(languageEnabled(true, { '*': false }, 'python'), false);
  assert.equal(languageEnabled(true, { '*': false, python: true }, 'python'), true);
});

test('a configuration pull of codestral gets the flat object; other sections pass through', () => {
  const ours = { debounceMs: 10, apiKey: 'sk-1' };
  const answers = answerConfiguration(
    [{ section: 'editor' }, { section: 'codestral' }, {}],
    [{ tabSize: 4 }, { serverPath: '/x', trace: { server: 'off' }, debounceMs: 10 }, null],
    ours,
  );
  assert.deepEqual(answers, [{ tabSize: 4 }, ours, null]);
});
