/**
 * The `pf` command line, run as a user runs it (a child process), on case files in a temp dir.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUS } from "../../../oracle";
import { sixBusCase } from "../fixtures";

const ROOT = resolve(__dirname, "../../..");

function pf(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/pf.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("pf command line", function () {
  let dir: string;
  let good: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-pf-"));
    good = join(dir, "six.json");
    writeFileSync(good, JSON.stringify(sixBusCase()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--json prints the solution keyed by bus numbers, one entry per file row", () => {
    const r = pf(good, "--json");
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.converged).to.equal(true);
    expect(out.iterations).to.be.a("number");
    expect(out.buses.map((b: { id: number }) => b.id)).to.deep.equal([10, 20, 30, 40, 50, 60]);
    expect(Object.keys(out.buses[0])).to.deep.equal(["id", "vm", "va"]);
    expect(Object.keys(out.gens[0])).to.deep.equal(["bus", "pg", "qg"]);
    expect(Object.keys(out.branches[0])).to.deep.equal(["from", "to", "pf", "qf", "pt", "qt"]);
    expect(out.gens).to.have.length(3);
    expect(out.branches).to.have.length(8);
  });

  it("prints readable tables without --json, and honours --alg dc", () => {
    const r = pf(good, "--alg", "dc");
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^six-bus: DC power flow converged in 1 iteration/);
    expect(r.stdout).to.match(/bus\s+Vm \(pu\)\s+Va \(deg\)/);
    expect(r.stdout).to.match(/\n\s+60\s+1\.000000\s/);
  });

  it("reports bad input on one stderr line and exits 1", () => {
    for (const [args, message] of [
      [["--alg", "gs", good], /--alg must be nr, bfs or dc, got 'gs'/],
      [[good, "--tol", "-1"], /--tol must be a positive number/],
      [[good, "--frobnicate"], /unknown option '--frobnicate'/],
      [[], /no case file given/],
      [[join(dir, "missing.m")], /missing\.m: cannot read case file: ENOENT/],
    ] as const) {
      const r = pf(...args);
      expect(r.status, args.join(" ")).to.equal(1);
      expect(r.stdout).to.equal("");
      expect(r.stderr.split("\n")[0]).to.match(message);
    }
    const noSlack = join(dir, "noslack.json");
    const c = sixBusCase();
    writeFileSync(
      noSlack,
      JSON.stringify({ ...c, bus: c.bus.map((b) => b.map((x, k) => (k === BUS.BUS_TYPE && x === 3 ? 2 : x))) }),
    );
    const r = pf(noSlack);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.match(/^pf: no slack bus/);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
  });

  it("exits 1 with one stderr line (and converged: false with --json) when the flow does not converge", () => {
    const r = pf(good, "--json", "--max-it", "1");
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    const out = JSON.parse(r.stdout);
    expect(out.converged).to.equal(false);
    expect(out.iterations).to.equal(1);
    expect(r.stderr).to.match(/did not converge after 1 iterations/);
  });
});
