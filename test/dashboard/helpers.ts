/**
 * Shared by the dashboard's tests: start `scripts/dashboard.ts` as its own process (as a person
 * runs it), wait for the line with its URL, stop it; launch the system's Chromium for Playwright.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
/** Screenshots and traces (git-ignored): the lead links them in the closing note. */
export const ARTIFACTS = join(ROOT, "test-results", "dashboard");

export interface RunningDashboard {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the dashboard with `args` (always on a free port) and resolves once it serves. */
export function startDashboard(args: readonly string[], timeoutMs = 240_000): Promise<RunningDashboard> {
  const tsNode = join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  const child = spawn(process.execPath, [tsNode, "--transpile-only", "scripts/dashboard.ts", "--port", "0", ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: "true", HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the dashboard did not start within ${timeoutMs / 1000} s:\n${text}`));
    }, timeoutMs);
    const check = (): void => {
      const m = /dashboard: serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve({ url: m[1], child, output: () => text, stop });
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the dashboard exited (code ${code}) before serving:\n${text}`));
    });
  });
}

export { launchChromium } from "../browser";

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
