// Drives a running code-server in headless Chromium (playwright-core) through the extension's
// user story. Started by tests/editors/test_vscode_e2e.py, which owns code-server, the fake
// Codestral and the assertions on disk; this script only acts in the browser and reports.
//
//   node run.mjs <config.json>
//   config: {url, playwrightCore, chromium, profileDir, artifactsDir, scenario, fileName,
//            readyTimeoutMs?, and for "story"/"bundled": typed, expectGhost; for "story": wrongKey,
//            disabledFile; for "missing": serverPathFix; for "bundled": pythonFix?}
//   scenario "story": ready -> ghost text -> Tab -> save -> "Trigger Suggestion" from the palette
//     -> wrong key -> error -> disabled file -> "Disable Completions" shows at once -> re-enable;
//   scenario "bundled": with `pythonFix`, first no fit Python: status "missing" and a notification
//     -> its "Set Python Path" button -> pythonFix typed in; then ready (after the extension set
//     up its bundled server) -> ghost text;
//   scenario "missing": the server cannot be found -> status "missing" and a notification ->
//     its "Set Server Path" button -> the path typed in -> the server starts.
//
// Prints one JSON line: {ok, steps: [{name, ms, ...}], error?}. Exits 0 even on failure so the
// caller always gets the report; screenshots land in artifactsDir.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(config.playwrightCore, 'package.json'));
const { chromium } = require(config.playwrightCore);

const steps = [];
const report = { ok: false, steps };
const started = Date.now();
let page;

async function step(name, fn) {
  const t0 = Date.now();
  const detail = (await fn()) ?? {};
  steps.push({ name, ms: Date.now() - t0, ...detail });
}

async function poll(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last !== undefined && last !== null && last !== false) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The status-bar item's accessible label: `Codestral: <state>[ - message]`. */
async function statusLabel() {
  return page.evaluate(() => {
    const el = document.querySelector('[aria-label^="Codestral: "]');
    return el ? el.getAttribute('aria-label') : null;
  });
}

async function waitForStatus(prefix, timeoutMs) {
  return poll(`status "${prefix}"`, async () => {
    const label = await statusLabel();
    return label && label.startsWith(prefix) ? label : null;
  }, timeoutMs);
}

/** Ghost text is one span per syntax token, with &nbsp; for spaces: join them. */
async function ghostText() {
  return page.evaluate(() =>
    [...document.querySelectorAll('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview')]
      .map((el) => el.textContent ?? '')
      .join('')
      .replace(/\u00a0/g, ' '),
  );
}

/** Its tab if it is open, else Quick Open (retried: the workbench may still be restoring). */
async function openFile(name) {
  const activeTab = page.locator(`.tab.active[aria-label^="${name}"]`).first();
  const tab = page.locator(`.tabs-container .tab[aria-label^="${name}"]`).first();
  if (await tab.isVisible()) {
    await tab.click();
    await activeTab.waitFor({ timeout: 5000 });
    return;
  }
  await poll(`an editor for ${name}`, async () => {
    if (await page.locator('.quick-input-widget input').isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    if (!(await input.isVisible())) return false;
    await input.fill(name);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    try { await row.waitFor({ timeout: 3000 }); } catch { await page.keyboard.press('Escape'); return false; }
    await page.keyboard.press('Enter');
    return poll('the tab', () => activeTab.isVisible(), 5000).catch(() => false);
  }, 30000);
}

/** Runs a command from the palette; fails if the palette does not list it. */
async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

/**
 * Types into the open input box and submits it. VS Code validates asynchronously in the
 * extension host, and an Enter that arrives before the new value's verdict is judged by the old
 * one (a prefilled invalid path) and ignored: press it again until the box closes.
 */
async function submitInput(value) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(value);
  await poll(`the input box to hold ${JSON.stringify(value)}`, async () => (await input.inputValue()) === value, 5000);
  await poll('the input box to accept', async () => {
    if (!(await input.isVisible())) return true;
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    return !(await input.isVisible());
  }, 10000);
}

async function clickEditor() {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
}

async function main() {
  mkdirSync(config.artifactsDir, { recursive: true });
  const context = await chromium.launchPersistentContext(config.profileDir, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  try {
    await step('workbench', async () => {
      await page.goto(config.url, { waitUntil: 'domcontentloaded', timeout: 60000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    });

    await step('open file', async () => {
      await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 30000 });
      await openFile(config.fileName);
    });

    if (config.scenario === 'missing') {
      await step('status missing', async () => ({ label: await waitForStatus('Codestral: missing', 30000) }));
      await step('notification', async () => {
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'codestral' }).first();
        await toast.waitFor({ timeout: 10000 });
        report.notification = (await toast.innerText()).replace(/\s+/g, ' ');
      });
      // The pop-up's own way out, as a code-server user would take it.
      await step('set server path from the pop-up', async () => {
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'codestral' }).first();
        await toast.getByRole('button', { name: 'Set Server Path' }).click();
        await submitInput(config.serverPathFix);
      });
      await step('status ready after setting the path', async () => ({ label: await waitForStatus('Codestral: ready', 60000) }));
      report.ok = true;
      return;
    }

    if (config.scenario === 'bundled' && config.pythonFix !== undefined) {
      await step('status missing python', async () => ({ label: await waitForStatus('Codestral: missing', 30000) }));
      await step('set python from the pop-up', async () => {
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Python' }).first();
        await toast.waitFor({ timeout: 10000 });
        const notification = (await toast.innerText()).replace(/\s+/g, ' ');
        await toast.getByRole('button', { name: 'Set Python Path' }).click();
        await submitInput(config.pythonFix);
        return { notification };
      });
    }

    // The readiness signal: the server's first `ready`. Typing before it is lost (spec pitfall).
    await step('status ready', async () => ({ label: await waitForStatus('Codestral: ready', config.readyTimeoutMs ?? 60000) }));

    await step('type', async () => {
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type(config.typed, { delay: 30 });
      await page.keyboard.press('Enter');
    });

    await step('ghost text', async () => {
      const text = await poll('ghost text', async () => {
        const ghost = await ghostText();
        return ghost.includes(config.expectGhost) ? ghost : null;
      }, 20000);
      return { ghost: text };
    });

    if (config.scenario === 'bundled') {
      report.ok = true;
      return;
    }

    await step('tab accepts', async () => {
      await page.keyboard.press('Tab');
      await poll('the ghost text to go', async () => !(await ghostText()).includes(config.expectGhost), 5000);
      const lines = await page.locator('.monaco-editor .view-lines').first().innerText();
      await page.keyboard.press('Control+S');
      return { editorText: lines.replace(/\u00a0/g, ' ') };
    });

    await step('status back to ready', async () => ({ label: await waitForStatus('Codestral: ready', 15000) }));

    // "Codestral: Trigger Suggestion" is in the palette and asks for a suggestion at once.
    await step('trigger from the palette', async () => {
      await clickEditor();
      await page.keyboard.press('Enter');
      await page.waitForTimeout(1000); // let an automatic suggestion come, to dismiss it
      await page.keyboard.press('Escape');
      await poll('no ghost text', async () => !(await ghostText()).includes(config.expectGhost), 5000);
      await runCommand('Codestral: Trigger Suggestion');
      const text = await poll('ghost text after the command', async () => {
        const ghost = await ghostText();
        return ghost.includes(config.expectGhost) ? ghost : null;
      }, 10000);
      await page.keyboard.press('Escape');
      return { ghost: text };
    });

    // A wrong key through the extension's own command: SecretStorage -> apiKey -> 401.
    await step('set a wrong key', async () => {
      await runCommand('Codestral: Set API Key');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await poll('the key prompt', async () => (await input.getAttribute('type')) === 'password', 10000);
      await input.fill(config.wrongKey);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
    });

    await step('error after 401', async () => {
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      // The key reaches the server asynchronously (SecretStorage event -> settings push): if a
      // request still went out with the old key, type another line rather than fail.
      const lines = ['def sub(a, b):', 'def mul(a, b):', 'def div(a, b):'];
      for (const [attempt, line] of lines.entries()) {
        await page.keyboard.type(line, { delay: 30 });
        await page.keyboard.press('Enter');
        const label = await waitForStatus('Codestral: error', 7000).catch(() => null);
        if (label) {
          // The server's pop-up about it (told once).
          const toast = page.locator('.notifications-toasts .notification-toast', { hasText: '401' }).first();
          const notification = await toast.waitFor({ timeout: 5000 }).then(() => toast.innerText(), () => null);
          return { label, attempts: attempt + 1, notification: notification && notification.replace(/\s+/g, ' ') };
        }
        await page.keyboard.press('Escape');
        await page.keyboard.press('Enter');
      }
      throw new Error(`no error state after ${lines.length} tries; status: ${await statusLabel()}`);
    });

    // A file whose language is switched off: the status bar says so for that file only.
    await step('disabled for this file', async () => {
      await openFile(config.disabledFile);
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.type('Some notes', { delay: 30 });
      return { label: await waitForStatus('Codestral: disabled', 20000) };
    });

    await step('other file keeps the global state', async () => {
      await openFile(config.fileName);
      return { label: await waitForStatus('Codestral: error', 10000) };
    });

    // Disabling shows at once, without a keystroke; enabling brings the server's state back.
    await step('disable shows at once', async () => {
      const t0 = Date.now();
      await runCommand('Codestral: Disable Completions');
      const label = await waitForStatus('Codestral: disabled', 5000);
      return { label, afterMs: Date.now() - t0 };
    });
    await step('enable again', async () => {
      await runCommand('Codestral: Enable Completions');
      return { label: await waitForStatus('Codestral: error', 5000) };
    });

    report.ok = true;
  } catch (err) {
    report.error = String(err && err.stack ? err.stack : err);
    report.status = await statusLabel().catch(() => null);
    report.ghost = await ghostText().catch(() => null);
  } finally {
    await page.screenshot({ path: path.join(config.artifactsDir, report.ok ? 'final.png' : 'failure.png') }).catch(() => {});
    report.totalMs = Date.now() - started;
    await context.close().catch(() => {});
    writeFileSync(path.join(config.artifactsDir, 'report.json'), JSON.stringify(report, null, 1));
    process.stdout.write(JSON.stringify(report) + '\n');
  }
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, steps, error: String(err) }) + '\n');
});
