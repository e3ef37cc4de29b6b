/**
 * The command-line tools as a person runs them (`npm run pf|agent:*`, through tools/run.js and the
 * compiled build/): bad input gets a first stderr line `<tool>: <message>` naming the flag or the
 * file, and exit status 1 — including inputs that used to surface raw Node errors.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

function tool(script: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "tools", "run.js"), script, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, RPC_URL: "" },
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("command-line tools through tools/run.js", function () {
  it("pf solves a case from build/", function () {
    const r = tool("scripts/pf.ts", ["cases/wscc9.json", "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).converged).to.equal(true);
  });

  for (const [script, flags] of [
    ["scripts/agent-generator.ts", ["--node", "--cost", "--margin", "--capacity", "--deployment", "--once", "--json"]],
    ["scripts/agent-centre.ts", ["--meters", "--meters-url", "--simulate-meters", "--delivery", "--case", "--once"]],
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
      ["--node", "27", "--cost", "-1", "--capacity", "5"],
      /^agent:generator: --cost must be a number of USD\/kWh ≥ 0, got '-1'/,
    ],
    [
      "agent:generator: a non-numeric margin",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--margin", "abc", "--capacity", "5"],
      /^agent:generator: --margin must be a number of USD\/kWh ≥ 0, got 'abc'/,
    ],
    [
      "agent:generator: a zero capacity",
      "scripts/agent-generator.ts",
      ["--node", "27", "--cost", "0.01", "--capacity", "0"],
      /^agent:generator: --capacity must be a number of kWh > 0, got '0'/,
    ],
    [
      "agent:centre: a missing case file",
      "scripts/agent-centre.ts",
      ["--simulate-meters", "--case", "nosuch.json"],
      /^agent:centre: --case nosuch\.json: cannot read it \(ENOENT\)/,
    ],
    [
      "agent:centre: no RPC_URL",
      "scripts/agent-centre.ts",
      ["--simulate-meters", "--once"],
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
