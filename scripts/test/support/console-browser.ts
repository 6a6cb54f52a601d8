import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureChromium, stackPaths } from '../../src';

/** Flags for a headless chromium that reaches nothing but the console. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's chromium (installed by the project's own installer when missing) driven by
 * playwright-core, with a fresh profile, at 1280×800. `shot` saves a screenshot under
 * `WLM_CONSOLE_SCREENSHOTS` when set (e.g. `docs/console` to refresh the README's pictures).
 */
export class ConsoleBrowser {
  private constructor(
    private readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
  ) {}

  static async open(): Promise<ConsoleBrowser> {
    const executablePath = await ensureChromium({ logDir: stackPaths(loadConfig()).logDir });
    const profile = mkdtempSync(join(tmpdir(), 'wlm-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return new ConsoleBrowser(context, page, profile);
  }

  async shot(name: string): Promise<void> {
    const dir = process.env['WLM_CONSOLE_SCREENSHOTS'];
    if (dir === undefined || dir === '') return;
    mkdirSync(dir, { recursive: true });
    // A toast left by an earlier step says nothing about this page.
    await this.page.locator('.toast').evaluateAll((toasts) => toasts.forEach((toast) => toast.remove()));
    await this.page.screenshot({ path: join(dir, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}
