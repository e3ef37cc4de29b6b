/**
 * Headless Chromium for tests that look at a page as a person would (report.html, the dashboard):
 * Debian's /usr/bin/chromium driven by @playwright/test's library — never `playwright install`
 * (no browser downloads here). Suites call `requireChromium()` to skip, with the reason printed,
 * where it is not installed (`apt-get install -y chromium`) — except under CI, where .ci/run
 * installs it and its absence is a failure, not a silent skip.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "@playwright/test";

/** The system's Chromium: CHROMIUM_PATH, else Debian's package (either name). */
export const CHROMIUM_PATH = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p): p is string => p !== undefined && p !== "" && existsSync(p),
);
export const HAVE_CHROMIUM = CHROMIUM_PATH !== undefined;

/** Flags for a quiet, offline, sandbox-free headless run (CI runs as root). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** In a `before` hook: skips the suite (with a printed reason) when Chromium is absent; fails under CI. */
export function skipWithoutChromium(context: Mocha.Context): void {
  if (HAVE_CHROMIUM) return;
  if (process.env.CI) throw new Error("no Chromium on this machine: .ci/run installs it (apt-get install -y chromium)");
  console.log("      no Chromium: browser checks skipped (apt-get install -y chromium, or set CHROMIUM_PATH)");
  context.skip();
}

/** Registers a `before` hook that skips the suite when Chromium is absent (see skipWithoutChromium). */
export function requireChromium(): void {
  before(function () {
    skipWithoutChromium(this);
  });
}

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error("no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)");
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface PageVisit<T> {
  readonly result: T;
  /** Console messages of type "error", uncaught page errors and failed requests, in order. */
  readonly errors: readonly string[];
}

/**
 * Opens `url` in a fresh page, runs `inspect` once it has loaded, and returns its result with every
 * error the page reported. The browser is closed afterwards, whatever happens.
 */
export async function visit<T>(
  url: string,
  inspect: (page: Page) => Promise<T>,
  options: { readonly width?: number; readonly height?: number } = {},
): Promise<PageVisit<T>> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? "?"})`));
    await page.goto(url, { waitUntil: "load" });
    const result = await inspect(page);
    return { result, errors };
  } finally {
    await browser.close();
  }
}
