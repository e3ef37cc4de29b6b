/**
 * The `period` command line, run as a user runs it (a child process from the project root):
 * --json and table output on seed34, forecasts and options reaching the computation, and every
 * failure — bad flags, bad input, no convergence, limits that cannot be met — as exit status 1
 * with the problem named on stderr. Variants of seed34 are written to a temp dir.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { loadCase, runPeriod, runPowerFlow } from "../../../oracle";

const ROOT = resolve(__dirname, "../../..");
const SEED34 = "cases/seed34.json";
/** 2026-01-01T00:00:00Z: pins the period so nothing depends on the clock. */
const START = 1_767_225_600;
const USAGE_LINE = /^usage: npm run --silent period -- <case> \[--json\]/;

function period(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/period.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stderr split into lines, without the final newline. */
const stderrLines = (stderr: string): string[] => stderr.replace(/\n$/, "").split("\n");

interface Line {
  branchRow: number;
  from: number;
  to: number;
  kind: string;
  value: number;
  limit: number;
  deviation: number;
}

describe("period command line", function () {
  let dir: string;
  let seed: Record<string, unknown> & { operation: Record<string, unknown> & { units: Record<string, unknown>[] } };
  /** Writes seed34 with `operation` fields replaced (or without operation when null) and returns the path. */
  const variant = (name: string, operation: Record<string, unknown> | null): string => {
    const file = join(dir, name);
    const { operation: original, ...rest } = seed;
    writeFileSync(
      file,
      JSON.stringify(operation === null ? rest : { ...rest, operation: { ...original, ...operation } }),
    );
    return file;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-period-"));
    seed = JSON.parse(readFileSync(join(ROOT, SEED34), "utf8"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--json prints the period: Table I violations, a solved redispatch, 34 prices and gen 27's offer", async () => {
    const r = period(SEED34, "--json", "--start", String(START));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal("");
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).to.deep.equal([
      "period",
      "operation",
      "loadFlow",
      "violations",
      "sensitivities",
      "redispatch",
      "prices",
      "offers",
      "costs",
    ]);
    expect(out.operation).to.deep.equal({ derived: false, pricingRule: "nodal", notes: [] });
    expect(out.redispatch.converged).to.equal(true);
    // Every price with its components.
    for (const p of out.prices) {
      expect(Object.keys(p)).to.deep.equal(["bus", "energy", "loss", "congestion", "total", "lossFactor"]);
      expect(p.total).to.be.closeTo(p.energy + p.loss + p.congestion, 1e-9);
    }
    expect(out.costs.pricingRule).to.equal("nodal");
    expect(out.costs.offersUsd).to.equal(out.costs.atNodalPricesUsd);
    expect(out.period).to.deep.equal({ start: START, end: START + 1800, minutes: 30 });
    expect(out.loadFlow.converged).to.equal(true);

    const lines: Line[] = out.violations.lines;
    expect(lines.map((v) => `${v.from}-${v.to}`)).to.deep.equal(["11-14", "14-17", "24-27"]);
    [-0.7643, -0.7657, -0.7712].forEach((p, k) => expect(lines[k].value).to.be.closeTo(p, 0.005));
    expect(out.violations.ok).to.equal(false);
    expect(out.sensitivities.lines.map((l: { branchRow: number }) => l.branchRow)).to.deep.equal([15, 16, 24]);
    expect(out.sensitivities.method).to.equal("ac");
    expect(out.sensitivities.units.map((u: { genRow: number; node: number }) => [u.genRow, u.node])).to.deep.equal([
      [2, 2],
      [3, 27],
      [4, 34],
    ]);

    expect(out.redispatch.status).to.equal("solved");
    expect(out.redispatch.unmet).to.deep.equal([]);
    expect(out.redispatch.violations.ok).to.equal(true);
    expect(out.redispatch.violations.lines).to.deep.equal([]);
    expect(out.redispatch.loadFlow.converged).to.equal(true);

    expect(out.prices).to.have.length(34);
    expect(out.prices.map((p: { bus: number }) => p.bus)).to.deep.equal(Array.from({ length: 34 }, (_, i) => i + 1));
    expect(out.offers.length).to.be.greaterThan(0);
    expect(out.offers[1]).to.include({ genRow: 3, node: 27, direction: "decrease", periodStart: START });

    // The same numbers as the library computes in process.
    const local = await runPeriod(loadCase(join(ROOT, SEED34)), { periodStart: START });
    expect(lines.map((v) => v.value)).to.deep.equal(local.violations.lines.map((v) => v.value));
    expect(out.redispatch.costPerHour).to.equal(local.redispatch.costPerHour);
    expect(out.offers).to.deep.equal(JSON.parse(JSON.stringify(local.offers)));
  });

  it("prints Table I, the redispatch and 'no violation' afterwards as a readable table", () => {
    const r = period(SEED34, "--start", String(START));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal("");
    const out = r.stdout;
    expect(out).to.match(/^seed34: period 2026-01-01T00:00:00Z – 2026-01-01T00:30:00Z \(30 min\)\n/);
    // Table I rows: line, mean flow (negative, within 0.005 of the paper), limit 0.75, deviation.
    for (const [line, paper] of [
      ["11-14", -0.7643],
      ["14-17", -0.7657],
      ["24-27", -0.7712],
    ] as const) {
      const m = new RegExp(`^\\s+${line}\\s+(-0\\.\\d{4})\\s+0\\.7500\\s+(0\\.\\d{4})$`, "m").exec(out);
      expect(m, `Table I row ${line}`).to.not.equal(null);
      const value = Number(m?.[1]);
      expect(value).to.be.closeTo(paper, 0.005);
      expect(Number(m?.[2])).to.be.closeTo(Math.abs(value) - 0.75, 1e-4);
    }
    expect(out).to.match(/frequency 1\.0000 p\.u\. \(band \[0\.994, 1\.006\]\)\n/);
    expect(out).to.match(/\nRedispatch: solved in \d+ round\(s\), cost \d+\.\d{2} USD\/h\n/);
    expect(out).to.match(/\n {4}gen 3 at bus 27: 0\.6404 → 0\.63\d\d MW \(-0\.00\d\d\)\n/);
    expect(out).to.match(/\nafter redispatch: load flow in \d+ iterations, no violation\n/);
    expect(out).to.match(/\n {4}binding 24-27: /);
    expect(out).to.match(/\n {4}gen 3 at bus 27: decrease \d+\.\d{3} kWh \(0\.00\d\d MW\) at 15\.00 USD\/MWh = /);
    expect(out).to.match(
      /\nNodal prices \(USD\/MWh\) = energy \+ loss \+ congestion; energy λ = 100\.00 at the reference bus\n/,
    );
    expect(out).to.match(/\n {4} {3}27 +-?\d+\.\d\d +-\d+\.\d\d +-15\.00\n/);
    expect(out).to.match(
      /\nthe period's adjustments: \d+\.\d{6} USD at nodal prices, \d+\.\d{6} USD at the units' bids; /,
    );
    expect(out).to.not.match(/UNMET|VIOLATED/);
  });

  it("passes --forecast, --demand-scale and --sensitivity through to the period", async () => {
    const args = ["--forecast", "34=0.6", "--demand-scale", "1.05", "--sensitivity", "dc"];
    const r = period(SEED34, "--json", "--start", "0", ...args);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    // More PV and more demand push 11-14 and 14-17 further over.
    const flows = Object.fromEntries(out.violations.lines.map((v: Line) => [`${v.from}-${v.to}`, v.value]));
    expect(flows["11-14"]).to.be.below(-0.8);
    expect(flows["14-17"]).to.be.below(-0.8);
    expect(out.loadFlow.generation[3].pg).to.equal(0.6);
    expect(out.redispatch.status).to.equal("solved");
    expect(out.redispatch.violations.ok).to.equal(true);
    // Exactly what the library computes with the same inputs, and not what it computes without them.
    const c = loadCase(join(ROOT, SEED34));
    const forecasts = { generation: { "34": 0.6 }, demandScale: 1.05, periodStart: 0 };
    const same = await runPeriod(c, forecasts, { sensitivity: "dc" });
    expect(out.violations.lines.map((v: Line) => v.value)).to.deep.equal(same.violations.lines.map((v) => v.value));
    expect(out.redispatch.costPerHour).to.equal(same.redispatch.costPerHour);
    const acInstead = await runPeriod(c, forecasts);
    expect(out.redispatch.costPerHour).to.not.equal(acInstead.redispatch.costPerHour);
    // The printed sensitivity table is the one the LP priced with: DC, equal to the first LP round's rows.
    expect(out.sensitivities.method).to.equal("dc");
    expect(out.sensitivities).to.deep.equal(JSON.parse(JSON.stringify(same.sensitivities)));
    const first = same.redispatch.firstRoundSensitivities;
    expect(first.method).to.equal("dc");
    same.sensitivities.lines.forEach((line, k) => {
      const l = same.loadFlow.point.model.branchOfRow[line.branchRow - 1];
      const priced = first.matrix[Array.from(first.branches).indexOf(l)];
      same.sensitivities.units.forEach((u, j) => {
        const bus = same.loadFlow.point.model.busOfId(u.node);
        expect(out.sensitivities.matrix[k][j], `line row ${line.branchRow}, unit at ${u.node}`).to.equal(priced[bus]);
      });
    });
    // ...and not the AC table.
    expect(out.sensitivities.matrix).to.not.deep.equal(acInstead.sensitivities.matrix);
  });

  it("--help prints the usage and exits 0", () => {
    const r = period("--help");
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(USAGE_LINE);
    expect(r.stderr).to.equal("");
  });

  it("bad flags: exit 1, nothing on stdout, one stderr line naming the problem (then the usage)", () => {
    for (const [args, message] of [
      [[SEED34, "--sensitivity", "exact"], /^period: --sensitivity must be ac or dc, got 'exact'$/],
      [[SEED34, "--forecast", "34"], /^period: --forecast must be BUS=MW with MW ≥ 0, got '34'$/],
      [[SEED34, "--forecast", "34=-0.1"], /^period: --forecast must be BUS=MW with MW ≥ 0, got '34=-0\.1'$/],
      [[SEED34, "--demand-scale", "lots"], /^period: --demand-scale must be a number ≥ 0, got 'lots'$/],
      [[SEED34, "--start", "1.5"], /^period: --start must be Unix seconds, got '1\.5'$/],
      [[SEED34, "--start"], /^period: --start needs a value$/],
      [[SEED34, "--json", "--frobnicate"], /^period: unknown option '--frobnicate'$/],
      [[SEED34, "--pricing-rule", "bid"], /^period: --pricing-rule must be nodal or pay-as-bid, got 'bid'$/],
      [[SEED34, "--congested-lines", "3"], /^period: --congested-lines needs --derive-operation$/],
      [
        [SEED34, "--derive-operation", "--limit-fraction", "1.5"],
        /^period: --limit-fraction must be a number > 0 ≤ 1, got '1\.5'$/,
      ],
      [
        [SEED34, "--derive-operation", "--market-units", "0"],
        /^period: --market-units must be an integer > 0, got '0'$/,
      ],
      [[SEED34, "--export-opf", ""], /^period: --export-opf needs a directory$/],
      [["--json"], /^period: no case file given$/],
      [[SEED34, SEED34], /^period: more than one case file given/],
    ] as const) {
      const r = period(...args);
      const label = args.join(" ");
      expect(r.status, label).to.equal(1);
      expect(r.stdout, label).to.equal("");
      const lines = stderrLines(r.stderr);
      expect(lines, label).to.have.length(2);
      expect(lines[0], label).to.match(message);
      expect(lines[1], label).to.match(USAGE_LINE);
    }
  });

  it("bad input: exit 1 with exactly one stderr line naming the problem", () => {
    const badGen = variant("bad-gen.json", { units: [{ ...seed.operation.units[0], gen: 9 }] });
    const master = variant("master.json", { units: [{ ...seed.operation.units[0], gen: 1 }] });
    const badLimits = variant("bad-limits.json", { branchActiveLimitMW: [0.75, 0.75] });
    const bare = variant("bare.json", null);
    for (const [args, message] of [
      [[join(dir, "missing.json")], /^period: .*missing\.json: cannot read case file: ENOENT/],
      [[SEED34, "--demand-scale", "40"], /^period: Newton-Raphson power flow did not converge after \d+ iterations/],
      [[SEED34, "--forecast", "99=0.1"], /^period: forecast for bus 99: the case has no such bus$/],
      [[SEED34, "--forecast", "5=0.1"], /^period: forecast for bus 5: expected one in-service unit there, found 0$/],
      [
        [SEED34, "--forecast", "34=0.7"],
        /^period: forecast for bus 34 \(0\.7 MW\) exceeds the unit's Pmax \(0\.6 MW\)$/,
      ],
      [[badGen], /^period: .*bad-gen\.json: operation: units\[0\]\.gen must be a gen row 1\.\.4, got 9$/],
      [[badLimits], /^period: .*bad-limits\.json: operation: branchActiveLimitMW has 2 entries for 35 branch rows$/],
      [[master], /^period: operation\.units: gen 1 is the master \(slack\) unit/],
      [[bare], /^period: seed34: no operation data: a period needs line limits and redispatch units/],
      [["cases/wscc9.json"], /^period: wscc9: no operation data: .*, or --derive-operation$/],
      [
        ["cases/wscc9.json", "--derive-operation", "--market-units", "5"],
        /^period: wscc9 has 2 node\(s\) with a redispatchable unit/,
      ],
      [[SEED34, "--export-opf", SEED34], /^period: --export-opf: cases\/seed34\.json is not a directory$/],
    ] as const) {
      const r = period(...args, "--start", "0");
      const label = args.join(" ");
      expect(r.status, label).to.equal(1);
      expect(r.stdout, label).to.equal("");
      expect(stderrLines(r.stderr), label).to.have.length(1);
      expect(stderrLines(r.stderr)[0], label).to.match(message);
    }
  });

  it("limits that cannot be met: the report on stdout, exit 1 and one stderr line naming the line", () => {
    const frozen = variant("frozen.json", {
      units: seed.operation.units.map((u) => ({ ...u, rampMW: 0 })),
    });
    const r = period(frozen, "--start", "0");
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/\nRedispatch: infeasible in \d+ round\(s\)/);
    expect(r.stdout).to.match(/\n {4}UNMET: line 11-14 cannot be brought within its limit \(by 0\.01\d\d MW\)\n/);
    expect(r.stdout).to.match(/\n {4}UNMET: line 24-27 cannot be brought within its limit/);
    expect(stderrLines(r.stderr)).to.have.length(1);
    expect(r.stderr).to.match(
      /^period: limits cannot be met: line 11-14 cannot be brought within its limit \(by 0\.01\d\d MW\)\n$/,
    );

    const json = period(frozen, "--json", "--start", "0");
    expect(json.status).to.equal(1);
    const out = JSON.parse(json.stdout);
    expect(out.redispatch.status).to.equal("infeasible");
    expect(out.redispatch.unmet.map((u: { row: number }) => u.row)).to.deep.equal([15, 16, 24]);
    expect(out.offers).to.deep.equal([]);
    expect(stderrLines(json.stderr)).to.have.length(1);
  });

  it("--pricing-rule pay-as-bid: the same redispatch, every offer at its unit's bid, both costs printed", () => {
    const nodal = JSON.parse(period(SEED34, "--json", "--start", "0").stdout);
    const r = period(SEED34, "--json", "--start", "0", "--pricing-rule", "pay-as-bid");
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.operation.pricingRule).to.equal("pay-as-bid");
    expect(out.redispatch.adjustments).to.deep.equal(nodal.redispatch.adjustments);
    for (const o of out.offers) expect(o.priceUsdPerMWh).to.equal(o.bidUsdPerMWh);
    expect(out.costs).to.deep.equal({ ...nodal.costs, pricingRule: "pay-as-bid", offersUsd: nodal.costs.atBidsUsd });
  });

  it("--derive-operation: any case gets operation data as a simulated day derives them, said in words", () => {
    const r = period("cases/wscc9.json", "--json", "--start", "0", "--derive-operation", "--congested-lines", "2");
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.operation.derived).to.equal(true);
    expect(out.operation.notes[0]).to.match(
      /^operation data derived \(defaultOperation\) at the period's schedule: the 2 most loaded line\(s\) limited to 90 % of their flow there \(rows 7, 8\)/,
    );
    expect(out.violations.lines.map((v: Line) => v.branchRow)).to.deep.equal([7, 8]);
    expect(out.redispatch.status).to.equal("solved");
    const text = period("cases/wscc9.json", "--start", "0", "--derive-operation", "--congested-lines", "2");
    expect(text.stdout).to.match(
      /^wscc9: period .*\noperation data derived \(defaultOperation\) at the period's schedule/,
    );
  });

  it("--export-opf DIR: the redispatch as a MATPOWER case with its constraint functions, and GridSwap's answer", async () => {
    const out = join(dir, "opf", "seed34");
    const r = period(SEED34, "--start", String(START), "--export-opf", out);
    expect(r.status, r.stderr).to.equal(0);
    expect(stderrLines(r.stderr)).to.have.length(1);
    expect(r.stderr).to.match(
      /^period: the redispatch as a MATPOWER AC OPF: .*seed34_opf\.m \(with its constraint functions\); GridSwap's answer: .*seed34_opf\.gridswap\.json\n$/,
    );
    expect(readdirSync(out).sort()).to.deep.equal([
      "gridswap_mean_flow.m",
      "gridswap_mean_flow_hess.m",
      "seed34_opf.gridswap.json",
      "seed34_opf.m",
    ]);
    const text = readFileSync(join(out, "seed34_opf.m"), "utf8");
    expect(text).to.match(/^function mpc = seed34_opf\n/);
    expect(text).to.match(/\n% {3}opf\.flow_lim = 'S'\n/);
    expect(text).to.match(
      /\nmpc\.user_constraints\.nli = \{\n\t\{'gs_mean_flow', 70, 'gridswap_mean_flow', 'gridswap_mean_flow_hess', \{'Va', 'Vm'\}, \{mpc\.baseMVA, mpc\.gridswap_mean_flow\}\}\n\};\n$/,
    );
    // GridSwap's answer: every market unit's move, the binding line and one price per bus.
    const answer = JSON.parse(readFileSync(join(out, "seed34_opf.gridswap.json"), "utf8"));
    const local = await runPeriod(loadCase(join(ROOT, SEED34)), { periodStart: START });
    expect(answer).to.include({
      format: "gridswap-opf-answer/1",
      case: "seed34",
      name: "seed34_opf",
      status: "solved",
    });
    expect(answer.moves.map((m: { gen: number; bus: number }) => [m.gen, m.bus])).to.deep.equal([
      [2, 2],
      [3, 27],
      [4, 34],
    ]);
    expect(answer.moves[1].deltaMW).to.equal(local.redispatch.adjustments[1].deltaMW);
    expect(answer.binding).to.deep.equal([
      {
        branch: 24,
        exportRow: 24,
        from: 24,
        to: 27,
        limitMW: 0.75,
        flowMW: local.redispatch.bindingLines[0].flow,
        mu: local.redispatch.bindingLines[0].shadowPrice,
        side: -1,
      },
    ]);
    expect(answer.lmp).to.have.length(34);
    expect(answer.lmp[26]).to.deep.include({ bus: 27, price: local.prices[26].total, loss: local.prices[26].loss });
    expect(answer.differences).to.deep.equal([]);
    // The exported case is a case: GridSwap's own parser reads it (cells, Inf and all), and its load
    // flow is the period's schedule (the market units at their schedule, voltages held as before).
    const exported = loadCase(join(out, "seed34_opf.m"));
    const flow = runPowerFlow(exported);
    local.loadFlow.buses.forEach((b, i) => {
      expect(flow.buses[i].vm, `bus ${b.id}`).to.be.closeTo(b.vm, 1e-9);
      expect(flow.buses[i].va, `bus ${b.id}`).to.be.closeTo(b.va, 1e-7);
    });
    expect(existsSync(join(out, "seed34_opf.m.tmp"))).to.equal(false);
  });
});
