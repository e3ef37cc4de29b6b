/**
 * `npm run simulate` as a user who has just cloned the repository runs it: in a copy of the
 * project's files (what git tracks, and new files it does not ignore) with nothing beside it — no
 * ../shared — it runs the default day on the data the project ships, exits 0 and reports
 * congestion, and the periods still over a limit as delivered. Every process it starts is watched
 * (a --require hook on fs): none may as much as look at a path under ../shared. The contracts'
 * build (artifacts, cache, typechain-types) is copied in with the cache's paths moved to the copy,
 * so `hardhat compile` finds nothing to do instead of a minute of compiling; node_modules is linked.
 * No timing is asserted.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { expect } from "chai";

const ROOT = resolve(__dirname, "../../..");

/** A preload for every node process: records any file-system call on a path under one of `dirs`. */
function watchHook(dirs: readonly string[], log: string): string {
  return `"use strict";
const fs = require("node:fs");
const path = require("node:path");
const DIRS = ${JSON.stringify(dirs)};
const LOG = ${JSON.stringify(log)};
const hit = (p) => {
  if (typeof p !== "string" && !(p instanceof URL)) return;
  const abs = path.resolve(String(p instanceof URL ? p.pathname : p));
  if (DIRS.some((d) => abs === d || abs.startsWith(d + path.sep))) fs.appendFileSync(LOG, abs + "\\n");
};
for (const name of ["readFileSync", "openSync", "existsSync", "statSync", "lstatSync", "readdirSync", "accessSync"]) {
  const original = fs[name];
  fs[name] = function (p, ...rest) { hit(p); return original.call(this, p, ...rest); };
}
for (const name of ["readFile", "open", "stat", "readdir", "access"]) {
  const original = fs.promises[name];
  fs.promises[name] = function (p, ...rest) { hit(p); return original.call(this, p, ...rest); };
}
`;
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 540_000);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

describe("npm run simulate on a fresh copy of the repository, nothing beside it", function () {
  this.timeout(600_000);
  let base: string;

  before(function () {
    try {
      execFileSync("git", ["--version"], { stdio: "ignore" });
    } catch {
      console.log("    (skipped: git is not installed; the copy is made from git's list of the project's files)");
      this.skip();
    }
    base = mkdtempSync(join(tmpdir(), "gridswap-fresh-"));
  });
  after(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("runs the default day on shipped data: exit 0, congestion and the grid as delivered reported", async () => {
    const repo = join(base, "repo");
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT })
      .toString("utf8")
      .split("\0")
      .filter((f) => f !== "" && existsSync(join(ROOT, f)));
    for (const f of files) {
      mkdirSync(dirname(join(repo, f)), { recursive: true });
      cpSync(join(ROOT, f), join(repo, f));
    }
    expect(existsSync(join(repo, "data", "profiles", "bdew-g25.csv")), "the profile ships").to.equal(true);
    symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"));
    for (const dir of ["artifacts", "typechain-types"]) cpSync(join(ROOT, dir), join(repo, dir), { recursive: true });
    mkdirSync(join(repo, "cache"));
    writeFileSync(
      join(repo, "cache", "solidity-files-cache.json"),
      readFileSync(join(ROOT, "cache", "solidity-files-cache.json"), "utf8")
        .split(`${ROOT}/`)
        .join(`${repo}/`),
    );
    expect(existsSync(join(base, "shared"))).to.equal(false);

    const log = join(base, "shared-access.log");
    const hook = join(base, "watch-shared.js");
    writeFileSync(hook, watchHook([join(base, "shared"), resolve(ROOT, "..", "shared")], log));
    const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", NODE_OPTIONS: `--require ${hook}` };
    const r = await run("npm", ["run", "simulate"], repo, env);
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(existsSync(log) ? readFileSync(log, "utf8") : "", "paths under ../shared looked at").to.equal("");

    // Its last lines say what happened: planned, the market, the grid as delivered.
    const lines = r.stdout.trimEnd().split("\n");
    const last = lines.slice(-5);
    expect(last[0]).to.match(/^seed34 on 2026-06-15 \(WT\), 48 periods, profile bdew-g25\.csv, seed 'gridswap'/);
    expect(last[1]).to.match(/^planned: +congestion in [1-9]\d* of 48 periods \(.*lines \d+-\d+/);
    expect(last[2]).to.match(/^market: +[1-9]\d* offer\(s\) posted .* [1-9]\d* filled .* settled: /);
    expect(last[3]).to.match(/^as delivered: /);
    const summary = JSON.parse(readFileSync(join(repo, "out", "seed34-2026-06-15", "summary.json"), "utf8"));
    expect(summary.congestedPeriods).to.be.at.least(1);
    expect(summary.overLimitAsDeliveredPeriods).to.be.a("number");
    expect(summary.overLimitAsDelivered).to.have.length(summary.overLimitAsDeliveredPeriods);
    expect(summary.trades).to.be.at.least(1);
    expect(summary.usdPaid).to.be.above(0);
    expect(summary.openPositions).to.equal(0);
    expect(summary.conservation.ok).to.equal(true);
    const check = await run(process.execPath, ["tools/check-day.js", "out/seed34-2026-06-15", "48", "--active"], repo, {
      ...process.env,
    });
    expect(check.status, check.stderr).to.equal(0);
  });
});
