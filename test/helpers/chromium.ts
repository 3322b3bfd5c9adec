/**
 * Real-browser harness: Debian's Chromium (/usr/bin/chromium, apt packages chromium and
 * chromium-driver) driven by playwright-core over CDP. Suites use `describeWithChromium`: skipped
 * when Chromium is missing, unless REQUIRE_SYSTEM_TESTS=1, in which case the file fails (as GDAL's,
 * see gdal.ts), so CI never silently skips the browser tests.
 */
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { describeWithSystemTool } from './system-tool.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const HAS_CHROMIUM: boolean = executable(CHROMIUM_PATH);

export const MISSING_CHROMIUM_MESSAGE =
  `Chromium (${CHROMIUM_PATH}) is missing but REQUIRE_SYSTEM_TESTS=1: install it ` +
  '(apt-get install chromium chromium-driver) or unset REQUIRE_SYSTEM_TESTS to skip the browser tests.';

export function describeWithChromium(name: string, fn: () => void, options: { timeout?: number } = {}): void {
  describeWithSystemTool({ name: 'Chromium', available: HAS_CHROMIUM, missingMessage: MISSING_CHROMIUM_MESSAGE }, name, fn, { timeout: 60_000, ...options });
}

/** The flags the browser tests run with (software WebGL: no GPU on CI). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // WebGL without a GPU: SwiftShader through ANGLE (MapLibre needs WebGL)
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export interface LaunchedBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile directory (removed on close). */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'krs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 700 },
    deviceScaleFactor: 1,
  });
  const browser = context.browser();
  return {
    browser: browser as Browser,
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
