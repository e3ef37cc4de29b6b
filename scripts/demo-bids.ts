/**
 * `npm run demo -- --scenario bids [--pricing pay-as-bid|nodal|both]`: the generators bid their
 * flexibility (issue #25; docs/bids.md), on seed34 on Hardhat's in-process network.
 *
 * Three generators — node 2 and node 27 (dispatchable) and the PV array at node 34 — each bid from
 * their own policy: sealed commitments before the bid gate, reveals after it. The centre's study
 * of the next period prices the units with the revealed bids (the oracle operators check they are
 * exactly the chain's), publishes which steps it selected and at what price, and posts one offer
 * reserved for each selected generator; each fills it without re-deciding; the units deliver, the
 * meters are read, and the books settle. Under pay-as-bid each selected step is paid its own bid;
 * under nodal pricing the LMP at its node (never less than its bid).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import type { PricingRule } from "../oracle/grid/case/operation";
import { parseJsonCase } from "../oracle/grid/case/load";
import type { PeriodResult } from "../oracle/market/period";
import { bidTermsStruct, bidTimes, readBidBookEvents, type SealedBidData } from "../oracle/chain/bids";
import { bidCommitment } from "../oracle/chain/typed-data";
import { Direction } from "../oracle/chain/enums";
import { describeBid } from "../oracle/agents/bidding";
import { selectedStepRecord, type SelectedStepRecord } from "../oracle/agents/day-record";
import type { BiddingRound, SimulatedPeriod } from "../oracle/agents/pipeline";
import { buildWorld, type GeneratorSpec } from "../oracle/agents/world";

const CASE = join(__dirname, "..", "cases", "seed34.json");

/** The three bidders: prices in USD/MWh (the case's master energy price is 100 USD/MWh). */
const BIDDERS: readonly GeneratorSpec[] = [
  // A diesel unit: raising costs fuel above the energy price; lowering saves fuel, so it asks little.
  { node: 2, bid: { upUsdPerMWh: 104, downUsdPerMWh: 22, steps: 2 } },
  // A strategic bidder: the same kind of costs with a 30 % markup.
  { node: 27, bid: { upUsdPerMWh: 108, downUsdPerMWh: 12, markup: 0.3, steps: 2 } },
  // The PV array cannot raise; lowering costs it the feed-in value of the energy it spills.
  { node: 34, bid: { downUsdPerMWh: 35, steps: 1 } },
];

export interface BidsDemoSummary {
  readonly pricingRule: PricingRule;
  readonly deliveryPeriod: number;
  /** The sealed count before the gate, and the bids revealed after it. */
  readonly sealedBeforeGate: number;
  readonly revealed: number;
  /** Each selected step as published and as the study priced it (USD/MWh). */
  readonly selection: readonly SelectedStepRecord[];
  /** The reserved offers' fills and their settlements (kWh, USD). */
  readonly fills: readonly { readonly node: number; readonly kwh: number; readonly usd: number }[];
  readonly settlements: readonly { readonly node: number; readonly deliveredKwh: number; readonly usd: number }[];
  /** Whether the published selection equals the one recomputed from the chain's revealed bids. */
  readonly verified: boolean;
  /** How many oracle operators found the published selection to be that of their own study. */
  readonly operatorsAgreeing: number;
}

const short = (a: string): string => `${a.slice(0, 8)}…`;
const usd = (units: bigint): number => Number(units) / 1e8;

export async function runBidsDemo(
  options: { readonly pricingRule?: PricingRule; readonly log?: (line: string) => void } = {},
): Promise<BidsDemoSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const pricingRule = options.pricingRule ?? "pay-as-bid";
  // The case file with the pricing rule in its operation data (the text is what the reports hash).
  const json = JSON.parse(readFileSync(CASE, "utf8")) as { operation: Record<string, unknown> };
  const caseText = JSON.stringify({ ...json, operation: { ...json.operation, pricingRule } }, null, 2);
  const c = parseJsonCase(caseText, CASE);
  const [funder] = await hre.ethers.getSigners();
  const world = await buildWorld({
    provider: hre.ethers.provider as never,
    funder,
    case: c,
    caseText,
    seed: `demo-bids-${pricingRule}`,
    generators: BIDDERS,
    centreUsd: 100,
    bids: {},
  });
  const book = world.bidBook!.book;
  const terms = world.bidBook!.terms;
  const nodeOf = new Map(world.generators.map((g) => [g.address.toLowerCase(), g.node]));
  const name = (address: string): string => `node ${nodeOf.get(address.toLowerCase())} (${short(address)})`;

  log(`== GridSwap demo: scenario "bids", pricing ${pricingRule} ==`);
  log(
    `Bid book ${short(await book.getAddress())}: for delivery period D, sealed commitments close ` +
      `${terms.bidGateSeconds} s before D starts (the bid gate); reveals are open for ${terms.revealSeconds} s after it; ` +
      `the centre studies D with the revealed bids in the period before D and posts offers to the selected bidders.`,
  );
  for (const g of world.generators) {
    const spec = BIDDERS[world.generators.indexOf(g)];
    log(`  ${name(g.address)} bids: ${JSON.stringify(spec.bid)}`);
  }

  // The demo explains the auction of the first delivery period (later ones run the same way).
  let explained: number | undefined;
  let sealedBeforeGate = 0;
  let revealed = 0;
  const sink = {
    bidding: async (round: BiddingRound): Promise<void> => {
      explained ??= round.deliveryPeriod;
      if (round.deliveryPeriod !== explained) return;
      const D = round.deliveryPeriod;
      const { bidGate, revealEnd } = bidTimes(D, terms);
      if (round.phase === "commit") {
        sealedBeforeGate = Number(await book.commitmentCount(D));
        log(`\n-- Before the bid gate of period ${D} (${iso(bidGate)}): ${sealedBeforeGate} sealed bid(s).`);
        for (const g of round.generators)
          for (const x of g.poll.bids.committed.filter((b) => b.period === D))
            log(`  ${name(g.address)} committed ${commitmentOf(x.bid).slice(0, 18)}…: only this hash is on chain.`);
      } else {
        log(`\n-- Reveal window of period ${D} (${iso(bidGate)} – ${iso(revealEnd)}):`);
        for (const g of round.generators)
          for (const x of g.poll.bids.revealed.filter((b) => b.period === D)) {
            revealed++;
            log(`  ${name(g.address)} revealed: ${describeBid(x.bid)}.`);
          }
      }
    },
  };
  const sim = world.pipeline.with({ sinks: [sink] });
  const start = await sim.startPeriod();
  await sim.recordSchedule(start);
  const D = start + 1;

  const summary = {
    selection: [] as BidsDemoSummary["selection"][number][],
    fills: [] as BidsDemoSummary["fills"][number][],
    settlements: [] as BidsDemoSummary["settlements"][number][],
  };
  let operatorsAgreeing = 0;
  for (let k = 0; k < 4; k++) {
    const run = await sim.run();
    if (k === 0) explainSelection(log, run, summary.selection, name);
    for (const v of run.operators.flatMap((t) => t.selections).filter((x) => x.period === D)) {
      if (v.matches) operatorsAgreeing++;
      log(
        `  an oracle operator checked the selection of period ${D}: ${v.matches ? "verified" : "DOES NOT VERIFY"} — ${v.why}.`,
      );
    }
    for (const g of run.generators) {
      for (const f of g.poll.filled.filter((x) => x.fill.period === D)) {
        summary.fills.push({
          node: nodeOf.get(g.address.toLowerCase())!,
          kwh: Number(f.fill.amountWh) / 1000,
          usd: usd(f.fill.usd),
        });
        log(
          `  ${name(g.address)} filled its reserved offer without re-deciding: ` +
            `${f.fill.amountWh} Wh for ${usd(f.fill.usd).toFixed(8)} USD (${((usd(f.fill.usd) / Number(f.fill.amountWh)) * 1e6).toFixed(2)} USD/MWh).`,
        );
      }
      for (const x of g.poll.settled.filter((s) => s.period === D)) {
        summary.settlements.push({
          node: nodeOf.get(g.address.toLowerCase())!,
          deliveredKwh: Number(x.settlement.deliveredWh) / 1000,
          usd: usd(x.settlement.usdToGenerator),
        });
        log(
          `  Period ${run.period}: ${name(g.address)} settled — delivered ${Number(x.settlement.deliveredWh) / 1000} kWh ` +
            `of ${Number(x.settlement.committedWh) / 1000}, paid ${usd(x.settlement.usdToGenerator).toFixed(8)} USD.`,
        );
      }
    }
    if (k === 1)
      for (const d of run.delivery.filter((x) => x.committedMW !== 0))
        log(
          `  Delivery in period ${run.deliveryPeriod - 1}: node ${d.node} ran at ${d.actualMW.toFixed(4)} MW ` +
            `(${d.committedMW > 0 ? "+" : ""}${d.committedMW.toFixed(4)} MW committed).`,
        );
  }

  // Anyone can check the selection: the revealed bids from the chain's events, the study's inputs.
  const events = await readBidBookEvents(book, world.deployBlock);
  const published = events.selections.find((s) => s.period === D);
  const verified =
    published !== undefined &&
    (await book.verifySelection(
      D,
      published.pricingRule,
      published.inputHash,
      published.steps.map((s) => ({ ...s })),
    ));
  log(
    `\nThe selection of period ${D} on chain: ${published ? `${published.steps.length} step(s), input hash ${published.inputHash.slice(0, 10)}` : "none"}; ` +
      `the bid book verifies it: ${verified}. The operators signed report ${D - 1} only after pricing the units with the ` +
      `same revealed bids themselves.`,
  );
  const out: BidsDemoSummary = {
    pricingRule,
    deliveryPeriod: D,
    sealedBeforeGate,
    revealed,
    ...summary,
    verified,
    operatorsAgreeing,
  };
  log(`summary: ${JSON.stringify(out)}`);
  return out;
}

/** The commitment to a bid: its EIP-712 struct hash, salt included. */
const commitmentOf = (sealed: SealedBidData): string => bidCommitment(bidTermsStruct(sealed.bid));

const iso = (t: number): string => new Date(t * 1000).toISOString().slice(11, 19);

function explainSelection(
  log: (line: string) => void,
  run: SimulatedPeriod,
  out: BidsDemoSummary["selection"][number][],
  name: (address: string) => string,
): void {
  const study = run.centre.study as PeriodResult;
  const bids = study.bids;
  log(`\n-- Period ${run.period}: the centre studies period ${run.deliveryPeriod} with the revealed bids.`);
  log(
    `  Lines over their limit: ${study.violations.lines.filter((v) => v.kind === "active").length}; ` +
      `units priced by bids: ${bids?.units.map((u) => `node ${u.node}`).join(", ") || "none"}; ` +
      `on the operation data's terms: ${bids?.fallback.length ?? 0}.`,
  );
  for (const s of bids?.selection.steps ?? []) {
    out.push(selectedStepRecord(s));
    log(
      `  selected ${name(s.generator)} ${s.direction === "increase" ? "raise" : "lower"} step ${s.step}: ` +
        `${s.quantityWh / 1000} kWh — bid ${s.bidUsdPerMWh.toFixed(2)}, nodal value ${s.nodalUsdPerMWh.toFixed(2)}, ` +
        `paid ${s.priceUsdPerMWh.toFixed(2)} USD/MWh (${bids?.selection.pricingRule}).`,
    );
  }
  for (const p of run.centre.posted)
    log(
      `  posted ${p.offer.direction === Direction.Increase ? "raise" : "lower"} ${Number(p.offer.amountWh) / 1000} kWh ` +
        `at node ${p.offer.node} for ${usd(p.offer.usd).toFixed(8)} USD, reserved for ` +
        `${BigInt(p.offer.generator) === 0n ? "any generator there (no bid)" : name(p.offer.generator)}.`,
    );
  for (const t of run.centre.transactions) log(`  tx ${t.label}: ${t.gasUsed} gas`);
}
