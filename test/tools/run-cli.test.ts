/**
 * The command-line tools as a person runs them (`npm run pf|agent:*`, through tools/run.js and the
 * compiled build/): bad input gets a first stderr line `<tool>: <message>` naming the flag or the
 * file, and exit status 1 — including inputs that used to surface raw Node errors.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { utimesSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const run = require("../../tools/run") as { ensureBuilt(): void; BUILD: string };

function tool(script: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "tools", "run.js"), script, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, RPC_URL: "" },
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `npm run [--silent] <script> -- args` from the project root, as a person types it. */
function npmRun(silent: boolean, script: string, args: readonly string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, RPC_URL: "" };
  delete env.npm_config_loglevel; // as from a shell, not from inside `npm test`
  return spawnSync("npm", ["run", ...(silent ? ["--silent"] : []), script, "--", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env,
    timeout: 300_000,
  });
}

describe("command-line tools through tools/run.js", function () {
  // Built first: a build's notes on stderr are not the tools' own lines these tests read.
  before(() => run.ensureBuilt());

  it("a build says so on stderr, terminal or not, and leaves stdout to the tool (--json stays JSON)", function () {
    utimesSync(join(run.BUILD, ".stamp"), new Date(0), new Date(0)); // stale: the next run rebuilds
    const r = tool("scripts/pf.ts", ["cases/wscc9.json", "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(
      /^tools\/run\.js: compiling TypeScript into build\/ \(sources changed\)\ntools\/run\.js: built in /,
    );
    expect(JSON.parse(r.stdout).converged).to.equal(true);
    expect(tool("scripts/pf.ts", ["cases/wscc9.json", "--json"]).stderr).to.equal(""); // built: nothing to say
  });

  it("npm run pf --json: with --silent pure JSON; without it npm's banner, and a note naming --silent", function () {
    const silent = npmRun(true, "pf", ["cases/wscc9.json", "--json"]);
    expect(silent.status, silent.stderr).to.equal(0);
    expect(JSON.parse(silent.stdout).converged).to.equal(true);
    expect(silent.stderr).to.equal("");
    const loud = npmRun(false, "pf", ["cases/wscc9.json", "--json"]);
    expect(loud.status, loud.stderr).to.equal(0);
    expect(loud.stdout).to.match(/^\n> gridswap@[^ ]+ pf\n/);
    expect(loud.stderr).to.match(/^pf: note: npm printed its .* banner on stdout .* run `npm run --silent pf -- …`$/m);
  });

  it("a reader that stops early (| head) ends the tool quietly, exit 0", async function () {
    const child = spawn(
      process.execPath,
      [join(ROOT, "tools", "run.js"), "scripts/pf.ts", "cases/matpower/case118.m"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.stdout.destroy(); // the reader is gone before the tool writes: its write meets EPIPE
    const status = await new Promise<number | null>((done) => child.on("close", done));
    expect(status, stderr).to.equal(0);
    expect(stderr).to.equal("");
  });

  it("pf solves a case from build/", function () {
    const r = tool("scripts/pf.ts", ["cases/wscc9.json", "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).converged).to.equal(true);
  });

  for (const [script, flags] of [
    [
      "scripts/agent-generator.ts",
      ["--node", "--cost", "--margin", "--capacity", "--planned-mw", "--deployment", "--once", "--json"],
    ],
    ["scripts/agent-centre.ts", ["--oracle", "--reading-grace-seconds", "--case", "--forecast", "--once"]],
  ] as const) {
    it(`${script} --help: the usage and one line per flag, exit 0`, function () {
      const r = tool(script, ["--help"]);
      expect(r.status, r.stderr).to.equal(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).to.match(/^usage: npm run agent:/);
      for (const flag of flags) {
        expect(
          lines.filter((l) => l.startsWith(`  ${flag} `)),
          flag,
        ).to.have.length(1);
      }
    });
  }

  const cases: [string, string, readonly string[], RegExp][] = [
    [
      "pf: a JSON file that is not a case",
      "scripts/pf.ts",
      ["package.json"],
      /^pf: package\.json: not a MATPOWER case \(no mpc\.bus/,
    ],
    ["pf: a missing file", "scripts/pf.ts", ["nosuch.json"], /^pf: nosuch\.json: cannot read case file: ENOENT/],
    [
      "agent:generator: a negative cost",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "-1", "--capacity", "5", "--planned-mw", "0.3"],
      /^agent:generator: --cost must be a number of USD\/kWh ≥ 0, got '-1'/,
    ],
    [
      "agent:generator: a non-numeric margin",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--margin", "abc", "--capacity", "5", "--planned-mw", "0.3"],
      /^agent:generator: --margin must be a number of USD\/kWh ≥ 0, got 'abc'/,
    ],
    [
      "agent:generator: a zero capacity",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--capacity", "0", "--planned-mw", "0.3"],
      /^agent:generator: --capacity must be a number of kWh > 0, got '0'/,
    ],
    [
      "agent:generator: a negative bid price",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--capacity", "5", "--planned-mw", "0.3", "--bid-down", "-3"],
      /^agent:generator: --bid-down must be a number of USD\/MWh > 0, got '-3'/,
    ],
    [
      "agent:generator: a bid markup without a bid price",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--capacity", "5", "--planned-mw", "0.3", "--bid-markup", "0.2"],
      /^agent:generator: --bid-markup, --bid-steps and --bid-periods need --bid-up or --bid-down/,
    ],
    [
      "agent:centre: a missing case file",
      "scripts/agent-centre.ts",
      ["--oracle", "http://127.0.0.1:9", "--case", "nosuch.json"],
      /^agent:centre: --case nosuch\.json: cannot read it \(ENOENT\)/,
    ],
    [
      "agent:centre: no RPC_URL",
      "scripts/agent-centre.ts",
      ["--oracle", "http://127.0.0.1:9", "--once"],
      /^agent:centre: RPC_URL is not set/,
    ],
  ];
  for (const [what, script, args, pattern] of cases) {
    it(`${what}: names it on the first stderr line, exit 1`, function () {
      const r = tool(script, args);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr).not.to.match(/\n\s+at /); // no stack
    });
  }
});
