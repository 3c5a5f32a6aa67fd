import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { requiredTool } from './required-tool';

/** Debian's Chromium; nothing here downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_MISSING_MESSAGE =
  'Browser test SKIPPED: /usr/bin/chromium was not found. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) to run it; under CI=true it is required.';

/** Whether the browser test can run; under CI=true a missing Chromium is a failure, not a skip. */
export const chromiumAvailable = (): boolean =>
  requiredTool(existsSync(CHROMIUM) && spawnSync(CHROMIUM, ['--version']).status === 0, CHROMIUM_MISSING_MESSAGE);

/** Headless Chromium with a fresh profile and no background traffic (this machine's network is closed). */
export function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 820, height: 720 },
  });
}
