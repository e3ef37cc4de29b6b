#!/usr/bin/env node
// Fast start for the command-line tools (`npm run pf|period|agent:*`): runs the compiled
// JavaScript in build/ instead of compiling TypeScript with ts-node on every call. The gridswap
// tasks load the chain layer from build/ too (require("./tools/run").ensureBuilt()).
//
//   node tools/run.js scripts/pf.ts <args...>
//
// build/ is made by tsc (tsconfig.build.json, incremental) once, and again only when a source is
// newer than the last build: any file under scripts/, oracle/, tasks/ or typechain-types/, or the
// tsconfig files. typechain-types itself is generated first (`hardhat compile`) when it is
// missing or older than a contract, so the agents run on a fresh clone. A lock directory keeps
// two processes from building at once. A build says so on stderr, terminal or not (the first run
// on a fresh clone compiles for a minute and must not look hung); stdout stays the tool's alone,
// so `--json` output is unaffected.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } = require("node:fs");
const { join, relative } = require("node:path");
const Module = require("node:module");

const ROOT = join(__dirname, "..");
const BUILD = join(ROOT, "build");
const STAMP = join(BUILD, ".stamp");
const LOCK = join(ROOT, ".build.lock");
const SOURCES = ["scripts", "oracle", "tasks", "typechain-types"];
const CONFIGS = ["tsconfig.json", "tsconfig.build.json"];

function newest(path, pattern) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return pattern.test(path) ? st.mtimeMs : 0;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name), pattern));
  return max;
}

const say = (line) => process.stderr.write(`tools/run.js: ${line}\n`);

function fail(line) {
  process.stderr.write(`tools/run.js: ${line}\n`);
  process.exit(1);
}

function run(command, args) {
  const r = spawnSync(command, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

function withLock(fn) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another process builds; a lock older than 5 minutes was left by a killed build.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) fail(`waited 5 min for ${LOCK}: remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Contracts → artifacts and typechain-types, when typechain-types is missing or stale. */
function ensureTypechain() {
  const types = join(ROOT, "typechain-types", "index.ts");
  const typesTime = existsSync(types) ? statSync(types).mtimeMs : 0;
  if (typesTime > 0 && typesTime >= newest(join(ROOT, "contracts"), /\.sol$/)) return;
  const first = typesTime === 0;
  say(
    first
      ? "first run: compiling the contracts and generating typechain-types (about a minute, once)"
      : "compiling the contracts (typechain-types older than contracts/)",
  );
  const started = Date.now();
  const hardhat = require.resolve("hardhat/internal/cli/cli", { paths: [ROOT] });
  const r = run(process.execPath, [hardhat, "compile", "--quiet"]);
  if (r.status !== 0) fail(`hardhat compile failed: ${r.output.trim().split("\n")[0] ?? r.error}`);
  say(`contracts compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function sourcesTime() {
  return Math.max(
    ...SOURCES.map((d) => newest(join(ROOT, d), /\.(ts|json)$/)),
    ...CONFIGS.map((f) => newest(join(ROOT, f), /\.json$/)),
  );
}

function stale() {
  return !existsSync(STAMP) || statSync(STAMP).mtimeMs < sourcesTime();
}

function build() {
  ensureTypechain();
  if (!stale()) return;
  withLock(() => {
    if (!stale()) return; // built by another process while we waited
    const started = Date.now();
    say(
      existsSync(STAMP)
        ? "compiling TypeScript into build/ (sources changed)"
        : "first run: compiling TypeScript into build/ (a few seconds, once)",
    );
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    const r = run(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")]);
    // Exit 2: type errors, JavaScript emitted all the same (`npm run lint` reports type errors).
    if (r.status !== 0 && r.status !== 2) fail(`tsc failed: ${r.output.trim().split("\n")[0] ?? r.error}`);
    mkdirSync(BUILD, { recursive: true });
    writeFileSync(STAMP, `${new Date().toISOString()}\n`);
    const t = new Date(started);
    utimesSync(STAMP, t, t); // a source saved during the build makes the next run rebuild
    say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/** Makes build/ current (for the gridswap tasks, which load the chain layer from it). */
module.exports = { ensureBuilt: build, BUILD };

if (require.main === module) {
  const [script, ...args] = process.argv.slice(2);
  if (!script || !/\.ts$/.test(script)) fail("usage: node tools/run.js scripts/<tool>.ts [args...]");
  const source = join(ROOT, script);
  if (!existsSync(source)) fail(`no such script: ${script}`);
  build();
  const compiled = join(BUILD, relative(ROOT, source).replace(/\.ts$/, ".js"));
  if (!existsSync(compiled)) {
    fail(`${relative(ROOT, compiled)} was not built: add ${script} to tsconfig.build.json "files"`);
  }
  // Run it as the main module (its `require.main === module` check holds), with its own argv.
  process.argv = [process.argv[0], compiled, ...args];
  Module._load(compiled, null, true);
}
