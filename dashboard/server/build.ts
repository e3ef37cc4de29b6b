/**
 * The pages are built by Vite into dashboard/dist. `npm run dashboard` builds them first when
 * the build is missing or older than anything it is built from (the pages' sources and the
 * oracle/ files the bundle imports).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** What the bundle is built from, relative to the repository root. */
export const BUILD_INPUTS = [
  "dashboard/index.html",
  "dashboard/vite.config.ts",
  "dashboard/src",
  "dashboard/shared",
  "oracle/chain",
  "oracle/charts",
  "typechain-types",
];

/** Newest modification time (ms) of `path` or any file under it; 0 when it does not exist. */
export function newestModification(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

/** Why the build in `root`/dashboard/dist must be (re)made, or undefined when it is current. */
export function staleBuildReason(root: string): string | undefined {
  const built = join(root, "dashboard", "dist", "index.html");
  if (!existsSync(built)) return "no build yet";
  const builtAt = statSync(built).mtimeMs;
  for (const input of BUILD_INPUTS) {
    if (newestModification(join(root, input)) > builtAt) return `${input} changed since the last build`;
  }
  return undefined;
}

/** Runs `vite build` (dashboard/vite.config.ts) in `root`; throws with Vite's own output on failure. */
export function buildPages(root: string): void {
  const vite = join(root, "node_modules", "vite", "bin", "vite.js");
  const run = spawnSync(
    process.execPath,
    [vite, "build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (run.status !== 0) {
    throw new Error(`building the dashboard failed:\n${run.stdout}${run.stderr}`);
  }
}
