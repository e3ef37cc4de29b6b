/**
 * `npm run simulate` as a user runs it (a child process from the project root): bad input — an
 * unknown or malformed profile, a date with no day type, no periods, a case without redispatchable
 * units — is one line on stderr, exit 1 and no --out directory; a short day writes its directory
 * and prints its summary; with --rpc it runs on a `hardhat node` on loopback and writes the
 * deployment file other tools attach to. No timing is asserted.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { openDeployment } from "../../../oracle/chain/deployments";
import { MONTHS, profileText } from "../market/profile-fixtures";

const ROOT = resolve(__dirname, "../../..");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function simulate(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/simulate.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, PRIVATE_KEY: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

const stderrLines = (r: Run): string[] => r.stderr.replace(/\n$/, "").split("\n");

describe("simulate command line", function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-simulate-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("bad input: one line, exit 1, nothing written", function () {
    const cases: [string, () => string[], RegExp][] = [
      [
        "an unknown profile file",
        () => ["seed34", "--profile", join(dir, "nowhere.csv")],
        /^simulate: .*nowhere\.csv: no such profile file$/,
      ],
      [
        "a malformed profile",
        () => {
          const file = join(dir, "broken.csv");
          writeFileSync(file, profileText().replace("01:00-01:15", "01:00-01:20"));
          return ["seed34", "--profile", file];
        },
        /^simulate: .*broken\.csv:7: expected the quarter-hour '01:00-01:15', found '01:00-01:20'$/,
      ],
      [
        "a date the profile has no day type for",
        () => {
          const file = join(dir, "weekdays.csv");
          writeFileSync(file, profileText(MONTHS.map((m) => [m, "WT"] as [string, string])));
          return ["seed34", "--profile", file, "--date", "2026-06-13"];
        },
        /^simulate: .*weekdays\.csv has no column for 2026-06-13: June Saturdays \(SA\)$/,
      ],
      [
        "a date that does not exist",
        () => ["seed34", "--date", "2026-02-30"],
        /^simulate: --date: 2026-02-30 is not a calendar date$/,
      ],
      ["no periods", () => ["seed34", "--periods", "0"], /^simulate: --periods must be an integer > 0, got '0'$/],
      [
        "a case without redispatchable units",
        () => {
          const c = JSON.parse(readFileSync(join(ROOT, "cases/wscc9.json"), "utf8"));
          c.gen = c.gen.map((g: number[], k: number) => (k === 0 ? g : g.map((x, j) => (j === 9 ? g[8] : x))));
          const file = join(dir, "fixed.json");
          writeFileSync(file, JSON.stringify(c));
          return [file];
        },
        /^simulate: wscc9 has no redispatchable unit: every in-service unit is the master \(slack\) or has Pmax = Pmin$/,
      ],
      ["an unknown case", () => ["case-that-is-not"], /^simulate: no case file 'case-that-is-not'/],
    ];
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const out = join(dir, `out-${what.replace(/\W+/g, "-")}`);
        const r = await simulate([...args(), "--out", out]);
        expect(r.status, r.stderr).to.equal(1);
        expect(stderrLines(r)).to.have.length(1);
        expect(stderrLines(r)[0]).to.match(message);
        expect(r.stdout).to.equal("");
        expect(existsSync(out)).to.equal(false);
      });
    }
  });

  it("a short day on the in-process chain: --json prints the summary, the directory holds every output", async () => {
    const out = join(dir, "day");
    const r = await simulate(["seed34", "--start", "10:30", "--periods", "2", "--seed", "cli", "--json", "--out", out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal("");
    const lines = r.stdout.trim().split("\n");
    expect(lines).to.have.length(1); // no progress bar: stdout is not a terminal
    const summary = JSON.parse(lines[0]);
    expect(summary).to.deep.include({ case: "seed34", date: "2026-06-15", periods: 2, chain: true, seed: "cli" });
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))).to.deep.equal(summary);
    for (const f of ["periods.csv", "periods.json", "report.html", "case.json", "market.log", "loading.svg"]) {
      expect(existsSync(join(out, f)), f).to.equal(true);
    }
  });

  describe("--rpc on a hardhat node", function () {
    let node: ChildProcess | undefined;
    let url: string;

    before(async function () {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      node = spawn(
        process.execPath,
        [
          join(ROOT, "node_modules/hardhat/internal/cli/cli.js"),
          "node",
          "--hostname",
          "127.0.0.1",
          "--port",
          String(port),
        ],
        {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
        },
      );
      await new Promise<void>((ready, fail) => {
        let text = "";
        const timer = setTimeout(() => fail(new Error(`hardhat node did not start: ${text}`)), 120_000);
        node!.stdout!.on("data", (d: Buffer) => {
          text += d.toString("utf8");
          if (text.includes("Started HTTP and WebSocket JSON-RPC server")) {
            clearTimeout(timer);
            ready();
          }
        });
        node!.on("exit", (code) => fail(new Error(`hardhat node exited (${code}): ${text}`)));
      });
    });
    after(() => {
      if (node?.pid !== undefined && node.exitCode === null) node.kill("SIGTERM");
    });

    it("runs the day there and writes a deployment file that attaches", async () => {
      const out = join(dir, "rpc-day");
      const deployment = join(dir, "deployments", "simulate.json");
      const r = await simulate([
        "seed34",
        "--start",
        "10:30",
        "--periods",
        "2",
        "--rpc",
        url,
        "--deployment",
        deployment,
        "--json",
        "--out",
        out,
      ]);
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).periods).to.equal(2);
      const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const { file, contracts } = await openDeployment(deployment, provider);
        expect(file.periodSeconds).to.equal(1800);
        expect(Number(await contracts.oracle.threshold())).to.equal(2);
      } finally {
        provider.destroy();
      }
    });

    it("--rpc without --deployment, and a node that does not answer: one line, exit 1", async () => {
      const a = await simulate(["seed34", "--rpc", url]);
      expect(a.status).to.equal(1);
      expect(stderrLines(a)).to.deep.equal([
        "simulate: --rpc needs --deployment FILE (where the deployment is written for other tools)",
      ]);
      const dead = `http://127.0.0.1:${await freePort()}`;
      const b = await simulate(["seed34", "--periods", "1", "--rpc", dead, "--deployment", join(dir, "d.json")]);
      expect(b.status).to.equal(1);
      expect(stderrLines(b)).to.have.length(1);
      expect(stderrLines(b)[0]).to.match(new RegExp(`^simulate: --rpc ${dead}: no answer`));
    });
  });

  it("--help prints the usage and one line per flag", () => {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/simulate.ts", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^usage: npm run simulate -- \[<case>\] \[--date YYYY-MM-DD\]/);
    expect(r.stdout).to.match(/\n {2}--profile g25\|h25\|FILE +BDEW load profile: g25 commerce \(default\)/);
    expect(r.stdout).to.match(/\n {2}<case> +a case file .* seed34 \(default\)/);
  });
});

/** A TCP port nothing listens on right now (loopback). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}
