import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STORED_KEY_SOURCE, nameKeySource } from '../src/keySource';

const REJECTED = 'Mistral at codestral.mistral.ai rejected the key from the apiKey setting (401): Unauthorized.';

test('a 401 on the stored key names SecretStorage and the command that set it', () => {
  const named = nameKeySource(REJECTED, true);
  assert.equal(named, `Mistral at codestral.mistral.ai rejected the key from ${STORED_KEY_SOURCE} (401): Unauthorized.`);
  assert.match(named, /SecretStorage/);
  assert.match(named, /Codestral: Set API Key/);
});

test('other sources, and messages without the wording, are left as the server said them', () => {
  const cases: Array<[string, boolean]> = [
    [REJECTED, false], // no stored key was sent: the wording cannot mean it
    ['Mistral at codestral.mistral.ai rejected the key from env CODESTRAL_API_KEY (401).', true],
    ['Mistral at codestral.mistral.ai rejected the key from the apiKeyCommand setting (401).', true],
    ['Ready', true],
  ];
  for (const [message, stored] of cases) assert.equal(nameKeySource(message, stored), message);
});
