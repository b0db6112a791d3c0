/** Maps VS Code's `codestral.*` configuration to the server's flat camelCase settings object. */

/** Settings that only the extension reads; never sent to the server. */
export const EXTENSION_ONLY_KEYS: readonly string[] = ['serverPath', 'interpreter', 'trace.server'];

/** Server settings that are not kept in settings.json (the key lives in SecretStorage). */
export const SECRET_KEYS: readonly string[] = ['apiKey'];

export const SECTION = 'codestral';

interface PackageJson {
  contributes?: { configuration?: { properties?: Record<string, unknown> } | Array<{ properties?: Record<string, unknown> }> };
}

/** The server-setting keys (camelCase, without `codestral.`) declared in package.json. */
export function serverSettingKeys(packageJson: PackageJson): string[] {
  const configuration = packageJson.contributes?.configuration;
  const blocks = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  const keys: string[] = [];
  for (const block of blocks) {
    for (const name of Object.keys(block.properties ?? {})) {
      if (!name.startsWith(`${SECTION}.`)) continue;
      const key = name.slice(SECTION.length + 1);
      if (!EXTENSION_ONLY_KEYS.includes(key)) keys.push(key);
    }
  }
  return keys;
}

/**
 * The object sent as initializationOptions, in didChangeConfiguration and as the answer to a
 * `workspace/configuration` pull of section `codestral`. Every key is sent, `null` included, so
 * clearing a setting resets it on the server. `apiKey` is sent only when one is stored, so the
 * server's own fallbacks (CODESTRAL_API_KEY, MISTRAL_API_KEY) still work.
 */
export function serverSettings(
  keys: readonly string[],
  get: (key: string) => unknown,
  apiKey: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = get(key);
    out[key] = value === undefined ? null : value;
  }
  if (apiKey) out.apiKey = apiKey;
  return out;
}

/** The `codestral.languages` map with one language switched on or off. */
export function withLanguage(
  languages: Readonly<Record<string, boolean>> | undefined,
  languageId: string,
  enabled: boolean,
): Record<string, boolean> {
  return { ...(languages ?? {}), [languageId]: enabled };
}

/** Mirrors the server's rule: global switch, then the language, then `*`, then on. */
export function languageEnabled(
  enable: boolean,
  languages: Readonly<Record<string, boolean>> | undefined,
  languageId: string,
): boolean {
  if (!enable) return false;
  const map = languages ?? {};
  return map[languageId] ?? map['*'] ?? true;
}

/**
 * The answer to a `workspace/configuration` pull: VS Code's own answers, except that every item
 * asking for section `codestral` gets our flat object (server keys only, plus the stored key).
 */
export function answerConfiguration(
  items: ReadonlyArray<{ section?: string }>,
  answers: readonly unknown[],
  ours: Record<string, unknown>,
): unknown[] {
  return items.map((item, i) => (item.section === SECTION ? ours : answers[i]));
}
