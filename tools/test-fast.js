// `npm run test:fast`: the inner-loop subset of `npm test` — every test file except the suites
// that spawn processes or run long randomised sequences (invariants, devnet nodes, command-line
// spawns, Hardhat task processes, browser sessions). CI runs the whole suite (`npm test`).
const { spawnSync } = require("node:child_process");
const { readdirSync } = require("node:fs");
const { join, relative } = require("node:path");

const SLOW = [
  /invariants?\.test\.ts$/,
  /(^|\/)devnet\//,
  /-cli\.test\.ts$/,
  /(^|\/)tasks\//,
  /readme.*\.test\.ts$/,
  /(^|\/)e2e\//,
  /\.browser\.test\.ts$/,
];

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const root = join(__dirname, "..");
const files = testFiles(join(root, "test"))
  .map((f) => relative(root, f))
  .filter((f) => !SLOW.some((pattern) => pattern.test(f)))
  .sort();
const result = spawnSync("npx", ["hardhat", "test", ...files, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
});
process.exit(result.status ?? 1);
