/**
 * The paper, end to end, on Hardhat's in-process network — explained as it runs:
 *   npm run demo [-- --paper] [-- --scenario accept|reject|nondelivery|partial|missing|dishonest-centre|all]
 *
 * One market on GridSwap v3 with every role on its own key (admin, centre, three oracle operators
 * signing 2-of-3, registrar, issuer, treasury) and three generators on seed34 (node 2, node 27 —
 * the paper's — and the PV array at node 34). Period P: the centre studies period P+1 (Table I's
 * congestion), proposes report P to the operators, who check it and sign, and posts signed offers;
 * the generators decide with their own
 * wallets and fill. P+1: they deliver (or not); the grid as it ran is solved with what was
 * delivered. P+2: the meters are read and the measurement reported. P+3: it is final after the
 * dispute window and settles by the graduated rule.
 *
 * --paper: also applies the paper's own remedy to the grid (all lines within limits), compares it
 * with GridSwap's least-cost remedy under the case's bids, and trades the paper's own offer —
 * 2.3 kWh of decrease at node 27 for exactly 0.25266763 USD — instead of the computed one. The
 * paper's trade and its remedy disagree (2.3 kWh in 30 minutes is 0.0046 MW, the remedy lowers
 * node 27 by 0.0026 MW): the demo trades the 2.3 kWh, says so, and checks the line limits of the
 * grid as it runs with what is delivered.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { GEN } from "../oracle/grid/case/columns";
import type { PowerCase } from "../oracle/grid/case/types";
import { checkLimits, meanActiveFlow } from "../oracle/grid/limits/checks";
import { loadCase } from "../oracle/grid/case/load";
import { runPowerFlow } from "../oracle/grid/pf/runpf";
import type { BranchResult } from "../oracle/grid/pf/results";
import type { PeriodResult } from "../oracle/market/period";
import type { Offer } from "../oracle/market/prices";
import { Direction, OfferStatus, Quality } from "../oracle/chain/enums";
import type { FillData, SettlementData } from "../oracle/chain/market-data";
import type { Behaviour, SimulatedPeriod } from "../oracle/agents/pipeline";
import { buildWorld, type World } from "../oracle/agents/world";
import { choiceOption, runCommand, UsageError, type CommandSpec } from "./cli";
import { runBidsDemo } from "./demo-bids";

export type Scenario = "accept" | "reject" | "nondelivery" | "partial" | "missing" | "dishonest-centre";
export const SCENARIOS: readonly Scenario[] = [
  "accept",
  "reject",
  "nondelivery",
  "partial",
  "missing",
  "dishonest-centre",
];

export interface DemoOptions {
  readonly paper?: boolean;
  readonly scenario?: Scenario;
  readonly log?: (line: string) => void;
}

export interface DemoSummary {
  readonly scenario: Scenario;
  readonly paper: boolean;
  /** The node-27 generator's decision and its reason. */
  readonly filled: boolean;
  readonly reason: string;
  /** The node-27 offer: kWh and USD. */
  readonly offer: { readonly kwh: number; readonly usd: number };
  /** Lines over their limit in the study of the first delivery period, and in the grid as it ran. */
  readonly violationsBefore: number;
  readonly violationsAfter: number;
  /** The grid as it ran in that period: its most loaded line (mean flow, MW) and that line's limit. */
  readonly worstLineAfter: { readonly line: string; readonly mw: number; readonly limitMW: number };
  /** The node-27 generator's settlement (undefined when it did not fill or was not settled). */
  readonly settlement?: { readonly deliveredKwh: number; readonly usdToGenerator: number; readonly penaltyKwh: number };
  readonly unwound: boolean;
  /** Changes over the demo of the node-27 generator's and the centre's vault balances (USD, kWh). */
  readonly changes: { centreUsd: number; centreKwh: number; generatorUsd: number; generatorKwh: number };
  readonly gas: Record<string, number>;
}

const CASE = join(__dirname, "..", "cases", "seed34.json");
/** The paper's trade (Figure 5): 2.3 kWh of decrease for 0.25266763 USD. */
const PAPER_TRADE = { kwh: 2.3, usd: 0.25266763 };
/** The paper's remedy, MW: raise gen 2 by 0.026, lower gens 27 and 34 by 0.0026 each. */
const PAPER_REMEDY: Readonly<Record<number, number>> = { 2: 0.026, 27: -0.0026, 34: -0.0026 };

const kwh = (wh: bigint): number => Number(wh) / 1000;
const usd = (units: bigint): number => Number(units) / 1e8;
const f4 = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x > 0 ? "+" : "") + f4(x);

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const scenario = options.scenario ?? "accept";
  const paper = options.paper ?? false;
  const c = loadCase(CASE);
  const caseText = readFileSync(CASE, "utf8");
  const [funder] = await hre.ethers.getSigners();
  let studies = 0;

  const behaviour27: Behaviour =
    scenario === "nondelivery"
      ? () => 0
      : scenario === "partial"
        ? () => 0.6
        : scenario === "missing"
          ? () => "meter-offline"
          : () => 1;
  const world = await buildWorld({
    provider: hre.ethers.provider as never,
    funder,
    case: c,
    caseText,
    seed: `demo-${scenario}`,
    generators: [
      { node: 2 },
      // "reject": the node-27 unit asks more than the nodal price pays.
      { node: 27, behaviour: behaviour27, costUsdPerKwh: scenario === "reject" ? 0.05 : 0.01 },
      { node: 34 },
    ],
    // The demo trades one delivery period, as the paper does; in operation the centre posts every period.
    offersFor: (study) => (studies++ > 0 ? [] : paper ? withPaperTrade(study) : study.offers),
    centreUsd: 100,
    // "dishonest-centre": the centre proposes every delivery as nothing delivered (0 Wh moved), to keep its USD.
    tamper:
      scenario === "dishonest-centre"
        ? (report) => ({
            ...report,
            measurements: report.measurements.map((m) => ({ ...m, actualWh: m.baselineWh, deliveredWh: 0n })),
          })
        : undefined,
  });
  const gen27 = world.generators[1];
  const { market } = world.contracts;
  const terms = await market.terms();
  const periodSeconds = world.periodSeconds;

  log(`== GridSwap demo: scenario "${scenario}"${paper ? ", with the paper's own remedy and trade" : ""} ==`);
  log(
    `Market: ${periodSeconds / 60}-minute periods (the oracle's one period constant); fills close at the start of the delivery ` +
      `period${Number(terms.gateClosureSeconds) ? ` less ${terms.gateClosureSeconds} s` : ""}; a measurement is final ` +
      `${Number(terms.disputeWindowSeconds) / periodSeconds} period(s) after its report (dispute window); below ` +
      `${Number(terms.minDeliveredBps) / 100} % delivered nothing is paid, pro rata above; ` +
      `${Number(terms.penaltyBps) / 100} % of a shortfall's commitment is forfeited.`,
  );
  log(
    `Accounts, each role on its own key: admin ${short(world.accounts.admin.address)}, centre ` +
      `${short(world.accounts.centre.address)}, oracle signers 2-of-3 ` +
      `${world.accounts.oracleSigners.map((s) => short(s.address)).join(" ")}, registrar ` +
      `${short(world.accounts.registrar.address)}, issuer ${short(world.accounts.issuer.address)}, treasury ` +
      `${short(world.accounts.treasury.address)}.`,
  );
  log(
    `Generators (wallet, meter key): ${world.generators.map((g) => `node ${g.node} ${short(g.wallet.address)}`).join(", ")}. ` +
      `Each holds kWh-adjustment tokens: commitment tokens it escrows to promise an adjustment (not energy).`,
  );
  const balances = async (): Promise<{
    centreUsd: number;
    centreKwh: number;
    generatorUsd: number;
    generatorKwh: number;
  }> => {
    const [cu, ck] = await market.balancesOf(world.accounts.centre.address);
    const [gu, gk] = await market.balancesOf(gen27.wallet.address);
    return { centreUsd: usd(cu), centreKwh: kwh(ck), generatorUsd: usd(gu), generatorKwh: kwh(gk) };
  };
  const before = await balances();
  log(
    `Vault balances (free): centre ${before.centreUsd} USD; node-27 generator ${before.generatorKwh} kWh-adjustment.`,
  );

  const sim = world.pipeline;
  const first = await sim.startPeriod();
  await sim.recordSchedule(first);
  const gas: Record<string, number> = {};
  const runs: SimulatedPeriod[] = [];
  let filled: FillData | undefined;
  let decision = { filled: false, reason: "no offer for node 27" };
  let settlement: SettlementData | undefined;
  let unwound = false;
  // The dishonest centre's report is refused and a stand-in's lands near the period's end: its
  // measurements are final one dispute window later, one period after the others.
  const periods = scenario === "dishonest-centre" ? 5 : 4;
  for (let k = 0; k < periods; k++) {
    const run = await sim.run();
    runs.push(run);
    explainPeriod(log, world, run, k);
    explainOracle(log, run);
    if (k === 0) {
      explainStudy(log, c, run.centre.study as PeriodResult, paper);
      explainDecisions(log, world, run);
      const poll = run.generators[1].poll;
      if (poll.filled[0]) {
        filled = poll.filled[0].fill;
        decision = { filled: true, reason: "filled" };
      } else if (poll.rejected[0]) {
        decision = { filled: false, reason: poll.rejected[0].reason };
        if (scenario === "reject") await cancelUnfilled(log, world, run);
      }
      explainDelivery(log, world, run, c);
    }
    const txs = [
      ...run.centre.transactions,
      ...run.generators.flatMap((g) => g.poll.transactions),
      ...run.lateSettlement.transactions,
    ];
    for (const t of txs) {
      gas[t.label.replace(/ (period )?\d{6,}| 0x[0-9a-f]+/g, "")] = Number(t.gasUsed);
      log(`  tx ${t.label}: ${t.hash.slice(0, 18)}… (${t.gasUsed} gas)`);
    }
    for (const g of run.generators) {
      for (const x of g.poll.settled)
        if (filled && x.generator === filled.generator && x.period === filled.period) settlement = x.settlement;
      for (const x of g.poll.unwound)
        if (filled && x.generator === filled.generator && x.period === filled.period) unwound = true;
    }
  }
  if (scenario === "missing" && filled) {
    log(
      `\n-- The node-27 meter never reported: the operators measured it MISSING after the reading grace time, ` +
        `and no signed reading came inside the dispute window to correct it — so it ${settlement ? "settled" : "settles"} ` +
        `as no delivery (withholding meter data never beats delivering).`,
    );
  }
  if (settlement && filled) explainSettlement(log, settlement);

  const after = await balances();
  const round = (x: number): number => Math.round(x * 1e8) / 1e8;
  const changes = {
    centreUsd: round(after.centreUsd - before.centreUsd),
    centreKwh: round(after.centreKwh - before.centreKwh),
    generatorUsd: round(after.generatorUsd - before.generatorUsd),
    generatorKwh: round(after.generatorKwh - before.generatorKwh),
  };
  log(
    `\nVault balances (free) now: centre ${after.centreUsd} USD, ${after.centreKwh} kWh-adjustment; ` +
      `node-27 generator ${after.generatorUsd} USD, ${after.generatorKwh} kWh-adjustment ` +
      `(change: centre ${changes.centreUsd} USD / ${changes.centreKwh} kWh, generator ${changes.generatorUsd} USD / ` +
      `${changes.generatorKwh} kWh; the centre's other trades of these periods included).`,
  );
  const offer27 = runs[0].centre.posted.find((p) => p.offer.node === 27)?.offer;
  const summary: DemoSummary = {
    scenario,
    paper,
    filled: decision.filled,
    reason: decision.reason,
    offer: { kwh: offer27 ? kwh(offer27.amountWh) : 0, usd: offer27 ? usd(offer27.usd) : 0 },
    violationsBefore: (runs[0].centre.study as PeriodResult).violations.lines.filter((v) => v.kind === "active").length,
    violationsAfter: runs[0].actual.limits.lines.length,
    worstLineAfter: worstLine(c, runs[0].actual.loadFlow.branches),
    settlement: settlement && {
      deliveredKwh: kwh(settlement.deliveredWh),
      usdToGenerator: usd(settlement.usdToGenerator),
      penaltyKwh: kwh(settlement.penaltyWh),
    },
    unwound,
    changes,
    gas,
  };
  log(`summary: ${JSON.stringify(summary)}`);
  return summary;
}

const short = (a: string): string => `${a.slice(0, 8)}…`;

function clockWindow(period: number, periodSeconds: number): string {
  const start = new Date(period * periodSeconds * 1000);
  const end = new Date((period + 1) * periodSeconds * 1000);
  const hm = (d: Date): string => d.toISOString().slice(11, 16);
  return `${start.toISOString().slice(0, 10)} ${hm(start)}–${hm(end)} UTC`;
}

function explainPeriod(log: (l: string) => void, world: World, run: SimulatedPeriod, k: number): void {
  const ps = world.periodSeconds;
  const what = [
    `the centre studies period ${run.deliveryPeriod}, reports, posts offers; the generators decide`,
    `the traded period runs: the centre reports period ${run.period} (its study of the next one)`,
    `the meters of period ${run.period - 1} are read and measured`,
    `the measurement is final after the dispute window: settlement`,
    `the stand-in's measurements are final: settlement`,
  ][k];
  log(`\n-- Period ${run.period} (${clockWindow(run.period, ps)}; period = Unix time / ${ps} s): ${what}.`);
  const step = run.centre;
  if (step.reported)
    log(
      `  the centre proposed report ${step.period}; each of the 3 oracle operators recomputed it from its own meter ` +
        `data and the published study inputs and signed (2 of 3 needed); the centre relayed it.`,
    );
  for (const m of step.measurements) {
    const node = world.generators.find((g) => g.wallet.address.toLowerCase() === m.generator.toLowerCase())?.node;
    log(
      `  measured node ${node} in period ${m.period}: baseline ${kwh(m.baselineWh)} kWh (its own nomination), actual ` +
        `${kwh(m.actualWh)} kWh, delivered ${kwh(m.deliveredWh)} kWh (+ = output raised), quality ` +
        `${Object.keys(Quality)[m.quality]}; final one dispute window after this report.`,
    );
  }
  const settledHere = step.settled.length + run.lateSettlement.settled.length;
  if (settledHere > 0) log(`  ${settledHere} commitment(s) settled.`);
  for (const g of run.generators) {
    const node = world.generators.find((x) => x.wallet.address === g.address)?.node;
    for (const x of g.poll.settled) {
      log(
        `  node ${node} paid: ${usd(x.settlement.usdToGenerator)} USD for ${kwh(x.settlement.deliveredWh)} of ` +
          `${kwh(x.settlement.committedWh)} kWh delivered; penalty ${kwh(x.settlement.penaltyWh)} kWh`,
      );
    }
  }
}

function explainDecisions(log: (l: string) => void, world: World, run: SimulatedPeriod): void {
  for (const p of run.centre.posted) {
    const o = p.offer;
    log(
      `  offer ${p.offerHash.slice(0, 10)} signed by the centre and posted to the bulletin board: ` +
        `${o.direction === Direction.Increase ? "raise" : "lower"} output at node ${o.node} by ${kwh(o.amountWh)} kWh in ` +
        `period ${o.period} for ${usd(o.usd).toFixed(8)} USD (${(usd(o.usd) / kwh(o.amountWh)).toFixed(6)} USD/kWh, ` +
        `rounded down to 1e-8 USD), fillable until ${new Date(o.deadline * 1000).toISOString().slice(11, 19)} UTC`,
    );
  }
  for (const d of run.centre.dropped) log(`  offer not posted: ${d}`);
  for (const g of run.generators) {
    const node = world.generators.find((x) => x.wallet.address === g.address)?.node;
    for (const r of g.poll.rejected)
      log(`  generator at node ${node} rejects ${r.offerHash.slice(0, 10)}: ${r.reason}`);
    for (const f of g.poll.filled) {
      log(
        `  generator at node ${node} decodes ${f.offerHash.slice(0, 10)}, decides with its own wallet and fills it in one ` +
          `transaction: escrows ${kwh(f.fill.amountWh)} kWh-adjustment against ${usd(f.fill.usd)} USD of the ` +
          `centre's, nominating ${kwh(f.fill.nominatedWh)} kWh (its planned output) as the baseline it is measured against`,
      );
    }
  }
}

function explainStudy(log: (l: string) => void, c: PowerCase, r: PeriodResult, paper: boolean): void {
  const lines = r.violations.lines.filter((v) => v.kind === "active");
  log("  The study: AC load flow of the schedule; lines over their limit (the paper's Table I):");
  log("    mean flow (Pf − Pt)/2, MW, positive from the line's first bus to its second:");
  log("    line      flow (MW)  limit (MW)  over (MW)");
  for (const v of lines) {
    log(
      `    ${`${v.from}-${v.to}`.padEnd(8)} ${f4(v.value).padStart(10)} ${v.limit.toFixed(4).padStart(11)} ${f4(v.deviation).padStart(10)}`,
    );
  }
  const rd = r.redispatch;
  log(
    `  Least-cost redispatch (an LP on the flow sensitivities, checked by AC load flow; cost ${rd.costPerHour.toFixed(4)} USD/h):`,
  );
  const row = (unit: string, before: number, after: number, bid: string): string =>
    `    ${unit.padEnd(20)} ${f4(before).padStart(11)} ${f4(after).padStart(11)} ${signed(after - before).padStart(12)} ${bid.padStart(14)}`;
  log(
    `    ${"unit".padEnd(20)} ${"before (MW)".padStart(11)} ${"after (MW)".padStart(11)} ${"change (MW)".padStart(12)} ${"bid (USD/MWh)".padStart(14)}`,
  );
  for (const a of rd.adjustments) {
    log(row(`gen ${a.unit.genRow} at node ${a.unit.busId}`, a.scheduledMW, a.adjustedMW, a.bidPrice.toFixed(2)));
  }
  log(`${row("master unit, node 1", r.loadFlow.gens[0].pg, rd.loadFlow.gens[0].pg, "—")}  (balances the grid)`);
  for (const b of rd.bindingLines) {
    log(
      `  Binding line ${b.from}-${b.to}: ${f4(b.flow)} MW at its ${f4(b.limit)} MW limit; shadow price μ = ${b.shadowPrice.toFixed(2)} USD/MWh.`,
    );
  }
  log(
    `  Nodal prices LMP = λ·(1 − ∂L/∂P) + Σ μ·S (USD/MWh): λ = ${rd.energyPrice.toFixed(2)} (the master unit's energy price, ` +
      `at its node), less its marginal losses, plus congestion;`,
  );
  for (const node of [2, 27, 34]) {
    const p = r.prices.find((x) => x.bus === node);
    if (p) {
      log(
        `    node ${node}: ${p.total.toFixed(2)} = energy ${p.energy.toFixed(2)} + loss ${p.loss.toFixed(2)} + congestion ${p.congestion.toFixed(2)}`,
      );
    }
  }
  for (const o of r.offers) {
    log(
      `  Offer price at node ${o.node}: ${o.direction === "increase" ? "raising output is paid LMP" : "lowering output is paid −LMP"} = ` +
        `${o.priceUsdPerMWh.toFixed(2)} USD/MWh ≥ its bid ${o.bidUsdPerMWh.toFixed(2)}; ${o.kwh.toFixed(3)} kWh → ${o.usd.toFixed(8)} USD.`,
    );
  }
  const remedy = paperRemedy(c);
  const lpCost = rd.costPerHour;
  log(
    `  The paper's remedy (+0.026 MW gen 2, −0.0026 MW gens 27 and 34) costs ${remedy.costPerHour.toFixed(4)} USD/h under the same bids ` +
      `against GridSwap's ${lpCost.toFixed(4)}: the LP lowers gen 27 only as far as 24-27 needs and leaves the PV array, dearer to curtail, alone.`,
  );
  if (paper) {
    log(
      `  --paper: the grid with the paper's remedy applied — largest line ${remedy.worst.line} at ${f4(remedy.worst.mw)} MW; ` +
        `${remedy.ok ? "every line within 0.75 MW and every voltage in [0.94, 1.06] p.u" : "NOT within every limit"}.`,
    );
    log("    unit (node)   paper (MW)   LP (MW)   LP price (USD/MWh)");
    for (const node of [2, 27, 34]) {
      const lp = rd.adjustments.find((a) => a.unit.busId === node);
      const price = r.prices.find((x) => x.bus === node)?.total ?? 0;
      log(
        `    node ${String(node).padEnd(8)} ${((PAPER_REMEDY[node] > 0 ? "+" : "") + f4(PAPER_REMEDY[node])).padStart(9)} ` +
          `${((lp && lp.deltaMW > 0 ? "+" : "") + f4(lp?.deltaMW ?? 0)).padStart(9)} ${price.toFixed(2).padStart(12)}`,
      );
    }
    const hours = r.period.minutes / 60;
    const tradeMW = PAPER_TRADE.kwh / 1000 / hours;
    log(
      `    The paper's trade and its remedy do not agree: the trade (Figure 5) is ${PAPER_TRADE.kwh} kWh of decrease at ` +
        `node 27, ${f4(tradeMW)} MW over the ${r.period.minutes}-minute period, while the remedy lowers node 27 by ` +
        `${f4(-PAPER_REMEDY[27])} MW (${(-PAPER_REMEDY[27] * 1000 * hours).toFixed(1)} kWh).`,
    );
    log(
      `    The demo trades the paper's trade as printed: ${PAPER_TRADE.kwh} kWh (−${f4(tradeMW)} MW) at node 27 for ` +
        `${PAPER_TRADE.usd} USD, beside GridSwap's node-2 offer (+${f4(PAPER_REMEDY[2])} MW, as in the remedy); the remedy's ` +
        `node-34 leg is not traded (GridSwap leaves the PV array alone). The delivery below checks every line limit ` +
        `with what is delivered.`,
    );
  }
}

function explainDelivery(log: (l: string) => void, world: World, run: SimulatedPeriod, c: PowerCase): void {
  log(`\n-- Period ${run.deliveryPeriod} (${clockWindow(run.deliveryPeriod, world.periodSeconds)}): delivery.`);
  for (const d of run.delivery) {
    if (d.committedMW === 0) continue;
    const what = d.meterOffline
      ? "its meter is offline"
      : `${Math.round(((d.actualMW - d.scheduledMW) / d.committedMW) * 100)} % of its commitment delivered`;
    log(
      `  node ${d.node}: scheduled ${f4(d.scheduledMW)} MW, committed ${(d.committedMW > 0 ? "+" : "") + f4(d.committedMW)} MW, ` +
        `ran at ${f4(d.actualMW)} MW (${what}).`,
    );
  }
  const worst = worstLine(c, run.actual.loadFlow.branches);
  log(
    `  The grid as it ran (load flow with what was delivered, not what was promised): ` +
      `${run.actual.limits.lines.length === 0 ? "no line over its limit" : `${run.actual.limits.lines.length} line(s) over their limit`}; ` +
      `largest line ${worst.line} at ${f4(worst.mw)} MW (limit ${worst.limitMW} MW).`,
  );
}

/** The line with the largest |mean flow| of a load flow of case `c`, and its active limit (MW). */
function worstLine(c: PowerCase, branches: readonly BranchResult[]): { line: string; mw: number; limitMW: number } {
  const flows = branches.map(meanActiveFlow);
  let worst = 0;
  flows.forEach((p, l) => (worst = Math.abs(p) > Math.abs(flows[worst]) ? l : worst));
  const b = c.branch[worst];
  return { line: `${b[0]}-${b[1]}`, mw: flows[worst], limitMW: c.operation?.branchActiveLimitMW[worst] ?? 0 };
}

function explainSettlement(log: (l: string) => void, s: SettlementData): void {
  const returned = s.committedWh - s.paidWh - s.penaltyWh;
  log(
    `\nSettlement of the node-27 commitment (graduated rule, on chain): delivered ${kwh(s.deliveredWh)} of ${kwh(s.committedWh)} kWh → ` +
      `${usd(s.usdToGenerator)} USD of ${usd(s.usdToGenerator + s.usdToCentre)} to the generator, ${usd(s.usdToCentre)} USD back to the centre; ` +
      `of the ${kwh(s.committedWh)} kWh-adjustment committed, ${kwh(s.paidWh)} go to the centre as bought, ${kwh(s.penaltyWh)} as the ` +
      `non-delivery penalty, ${kwh(returned)} back to the generator${s.quality === Quality.Estimated ? " (measurement ESTIMATED)" : ""}.`,
  );
}

/** The paper's remedy on the schedule: the grid with it, and its cost under the case's bids. */
function paperRemedy(c: PowerCase): { ok: boolean; worst: { line: string; mw: number }; costPerHour: number } {
  const gen = c.gen.map((row) => [...row]);
  const op = c.operation;
  let cost = 0;
  for (const [node, delta] of Object.entries(PAPER_REMEDY)) {
    const unit = op?.units.find((u) => c.gen[u.gen - 1][GEN.GEN_BUS] === Number(node));
    if (!unit) continue;
    gen[unit.gen - 1][GEN.PG] += delta;
    cost += delta > 0 ? delta * unit.upPrice : -delta * unit.downPrice;
  }
  const x = { ...c, gen };
  const r = runPowerFlow(x);
  // The master unit makes up the balance, losses included, at its energy price (as the LP counts it).
  cost += (r.gens[0].pg - runPowerFlow(c).gens[0].pg) * (op?.masterEnergyPrice ?? 0);
  const report = checkLimits(x, r);
  let worst = { line: "", mw: 0 };
  r.branches.forEach((b) => {
    const p = Math.abs(meanActiveFlow(b));
    if (p > worst.mw) worst = { line: `${b.from}-${b.to}`, mw: p };
  });
  return { ok: report.ok, worst, costPerHour: cost };
}

/** What the oracle operators did in a period, when it is more than signing the centre's report. */
function explainOracle(log: (l: string) => void, run: SimulatedPeriod): void {
  if (run.centre.refusals.length > 0) {
    log(
      `  The centre proposed report ${run.period}; the oracle operators recomputed it from their own meter data ` +
        `and refused to sign — no report of the centre's lands:`,
    );
    for (const r of run.centre.refusals) log(`    operator ${short(r.operator)}: ${r.reasons.join("; ")}`);
  }
  for (const t of run.operators) {
    if (t.reported !== undefined)
      log(
        `  No report for period ${t.reported} had landed, so an oracle operator stood in as proposer: the other ` +
          `operators checked its report (the measurements, no study) and it landed with their signatures.`,
      );
    for (const k of t.corrected)
      log(`  The operators corrected the measurement of ${short(k.generator)} in period ${k.period} (a late reading).`);
  }
}

/** --paper: the computed offers, with node 27's replaced by the paper's own trade. */
function withPaperTrade(study: PeriodResult): Offer[] {
  return study.offers.map((o) =>
    o.node === 27
      ? {
          ...o,
          direction: "decrease",
          kwh: PAPER_TRADE.kwh,
          usd: PAPER_TRADE.usd,
          priceUsdPerMWh: (PAPER_TRADE.usd / PAPER_TRADE.kwh) * 1000,
          mw: PAPER_TRADE.kwh / 1000 / ((study.period.minutes || 30) / 60),
        }
      : o,
  );
}

/** "reject": the centre withdraws the offer nobody filled (cancel its nonce), though it would simply lapse. */
async function cancelUnfilled(log: (l: string) => void, world: World, run: SimulatedPeriod): Promise<void> {
  const offer = run.centre.posted.find((p) => p.offer.node === 27)?.offer;
  if (!offer) return;
  const { market } = world.contracts;
  await (await market.connect(world.accounts.centre).cancel(offer.nonce)).wait();
  const [status] = await market.offerStatus({ ...offer });
  const word = Object.keys(OfferStatus).find((k) => OfferStatus[k as keyof typeof OfferStatus] === Number(status));
  log(
    `  Nobody filled the node-27 offer before its gate closed; the centre also cancels its nonce (status ${word}). ` +
      `Its USD never left the centre's free balance: an unfilled offer escrows nothing.`,
  );
}

export const DEMO_COMMAND: CommandSpec = {
  name: "demo",
  usage: `usage: npm run demo -- [--paper] [--scenario ${SCENARIOS.join("|")}|bids|all] [--pricing pay-as-bid|nodal|both]`,
  options: {
    paper: {
      type: "boolean",
      help: "trade the paper's own offer (2.3 kWh for 0.25266763 USD) beside the least-cost one",
    },
    scenario: {
      type: "string",
      value: `${SCENARIOS.join("|")}|all`,
      help:
        "accept (default); reject an under-priced offer; nondelivery penalised; partial 60 % delivered, paid pro rata; " +
        "missing meter reading; dishonest-centre proposes a false measurement the operators refuse; " +
        "bids: three generators bid sealed, the centre selects and pays by the pricing rule; or all",
    },
    pricing: {
      type: "string",
      value: "pay-as-bid|nodal|both",
      help: "the bids scenario's pricing rule: each selected step paid its own bid, or its node's LMP (default both, one after the other)",
    },
  },
};

if (require.main === module) {
  runCommand(DEMO_COMMAND, async (line) => {
    const choice = choiceOption(line, "scenario", [...SCENARIOS, "bids", "all"] as const, "accept");
    const pricing = choiceOption(line, "pricing", ["pay-as-bid", "nodal", "both"] as const, "both");
    if (line.values.pricing !== undefined && choice !== "bids" && choice !== "all")
      throw new UsageError("--pricing is for --scenario bids (the other scenarios price by the case's rule)");
    const scenarios = choice === "all" ? SCENARIOS : choice === "bids" ? [] : [choice];
    for (const scenario of scenarios) {
      await runDemo({ paper: line.values.paper === true, scenario });
      console.log("");
    }
    if (choice === "bids" || choice === "all") {
      for (const pricingRule of pricing === "both" ? (["pay-as-bid", "nodal"] as const) : [pricing]) {
        await runBidsDemo({ pricingRule });
        console.log("");
      }
    }
  });
}
