/**
 * The two machine agents of the paper.
 *
 * CentreAgent (the power quality centre and its oracle), once per period: run the period on the
 * case, report it on-chain with the measured deliveries of earlier periods, settle what those
 * measurements cover, publish the period's offers with USD escrow. Every step first reads chain
 * state, so a restart resumes where the chain is and nothing is reported or published twice.
 *
 * GeneratorAgent (a generator's wallet): read the bulletin board, decide each open offer by its
 * policy, log the decision and why, and accept with its kWh commitment.
 *
 * Delivery is simulated: a generator that accepted an offer moves its output by the offered
 * energy during the offer's period; the centre "measures" that (or what `measure` returns) and
 * the next period's load flow runs with the moved output.
 */
import type { Signer } from "ethers";
import type { PowerCase } from "../grid/case/types";
import { GEN } from "../grid/case/columns";
import { runPeriod, type Forecasts, type PeriodResult } from "../market/period";
import type { GridSwapContracts } from "../chain/deploy";
import { inputHash, toOfferParams, toReport, type MeasuredDelivery } from "../chain/encode";
import { decide, readOffers, type DecodedOffer, type GeneratorPolicy } from "../chain/generator";
import { withRetry, type RetryOptions } from "../chain/retry";
import { PERIOD_SECONDS, periodOf, unitsToUsd, usdToUnits } from "../chain/units";

const STATUS_ACCEPTED = 2n;
const STATUS_SETTLED = 3n;
/** Publishing this close to a period's end would leave no time to accept (and may revert on expiry). */
const MIN_ACCEPT_SECONDS = 60;
const STATUS_OPEN = 1n;

export interface CentreAgentConfig {
  readonly contracts: GridSwapContracts;
  readonly oracleSigner: Signer;
  readonly centreSigner: Signer;
  readonly case: PowerCase;
  /** The case file's text, hashed into each report. */
  readonly caseText: string;
  readonly forecasts?: (period: number) => Forecasts;
  /** Measured adjustment (kWh, signed) of `generator` in `period`; default: its accepted offers delivered in full. */
  readonly measure?: (period: number, generator: string, accepted: readonly DecodedOffer[]) => number;
  /** How long after publication an offer can be accepted, seconds (capped before the period ends). */
  readonly acceptWindowSeconds?: number;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface CentreStep {
  readonly period: number;
  readonly reported: boolean;
  readonly deliveries: MeasuredDelivery[];
  readonly settled: bigint[];
  readonly published: bigint[];
  readonly result?: PeriodResult;
}

export class CentreAgent {
  private readonly log: (line: string) => void;

  constructor(private readonly cfg: CentreAgentConfig) {
    this.log = cfg.log ?? (() => undefined);
  }

  /** Runs the period that contains the chain's current time. Safe to call again at any point. */
  async step(): Promise<CentreStep> {
    const { contracts: c, retry } = this.cfg;
    const r = { ...retry, log: this.log };
    const provider = c.market.runner?.provider;
    if (!provider) throw new Error("the market contract has no provider");
    const now = (await withRetry("read block", () => provider.getBlock("latest"), r))?.timestamp ?? 0;
    const period = periodOf(now);
    const offers = await withRetry("read offers", () => readOffers(c.market), r);
    const status = new Map<bigint, bigint>();
    for (const o of offers) status.set(o.id, (await withRetry("read offer", () => c.market.getOffer(o.id), r)).status);
    const accepted = offers.filter((o) => status.get(o.id) === STATUS_ACCEPTED);
    // Offers a generator committed to (accepted, possibly settled since): their moves shape the grid.
    const committed = offers.filter((o) => status.get(o.id) === STATUS_ACCEPTED || status.get(o.id) === STATUS_SETTLED);
    const generatorOf = new Map<bigint, string>();
    for (const o of committed) generatorOf.set(o.id, (await c.market.getOffer(o.id)).generator);

    // Deliveries of earlier periods not yet measured on-chain.
    const deliveries: MeasuredDelivery[] = [];
    const groups = new Map<string, DecodedOffer[]>();
    for (const o of accepted) {
      if (o.period >= period) continue;
      const key = `${o.period}:${generatorOf.get(o.id)}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    for (const [key, list] of groups) {
      const [p, generator] = key.split(":");
      const [measured] = await withRetry(
        "read measurement",
        () => c.oracle.measuredAdjustment(Number(p), generator),
        r,
      );
      if (measured) continue;
      const kwh = this.cfg.measure ? this.cfg.measure(Number(p), generator, list) : fullDelivery(list);
      deliveries.push({ period: Number(p), generator, adjustmentKwh: kwh });
    }

    // The period's load flow runs with last period's measured moves applied.
    const lastMoves = await this.deliveredMoves(period - 1, committed, generatorOf, deliveries);
    const forecasts = { ...(this.cfg.forecasts?.(period) ?? {}), periodStart: period * PERIOD_SECONDS };
    const schedule = applyMoves(this.cfg.case, lastMoves);
    const result = await runPeriod(schedule, forecasts);

    let reported = false;
    if (await withRetry("read report", () => c.oracle.hasReport(period), r)) {
      this.log(`period ${period}: already reported, skipping the report`);
    } else {
      const report = toReport(
        period,
        inputHash(this.cfg.caseText, { forecasts, lastMoves }),
        result,
        deliveries,
        unitNodes(schedule),
      );
      await this.send(
        `report period ${period}`,
        () => c.oracle.connect(this.cfg.oracleSigner).submitReport(report, []),
        async () => c.oracle.hasReport(period),
      );
      reported = true;
      this.log(
        `period ${period}: reported ${result.violations.lines.length} violation(s), ${deliveries.length} delivery measurement(s)`,
      );
    }

    // Settle every accepted offer whose delivery is now measured.
    const settleable: bigint[] = [];
    for (const o of accepted) {
      const [measured] = await c.oracle.measuredAdjustment(o.period, generatorOf.get(o.id) as string);
      if (measured) settleable.push(o.id);
    }
    if (settleable.length > 0) {
      await this.send(
        `settle ${settleable.join(",")}`,
        () => c.market.connect(this.cfg.centreSigner).settleMany(settleable),
        async () => {
          for (const id of settleable) if ((await c.market.getOffer(id)).status === STATUS_ACCEPTED) return false;
          return true;
        },
      );
      this.log(`period ${period}: settled offer(s) ${settleable.join(", ")}`);
    }

    // Publish this period's offers unless this centre already did.
    const centre = await this.cfg.centreSigner.getAddress();
    const published: bigint[] = [];
    const already = offers.some((o) => o.period === period && o.centre.toLowerCase() === centre.toLowerCase());
    if (already) {
      this.log(`period ${period}: offers already published, skipping`);
    } else if ((period + 1) * PERIOD_SECONDS - now < MIN_ACCEPT_SECONDS) {
      this.log(`period ${period}: less than ${MIN_ACCEPT_SECONDS} s left, not publishing`);
    } else if (result.offers.length > 0) {
      const periodEnd = (period + 1) * PERIOD_SECONDS;
      const expiry = Math.min(periodEnd - 1, now + (this.cfg.acceptWindowSeconds ?? 20 * 60));
      for (const offer of result.offers) {
        const params = toOfferParams(offer, period, period, expiry);
        const before = await c.market.offerCount();
        await this.send(
          `publish ${offer.direction} at node ${offer.node}`,
          () => c.market.connect(this.cfg.centreSigner).publish(params),
          async () => (await c.market.offerCount()) > before,
        );
        published.push(await c.market.offerCount());
        this.log(
          `period ${period}: published offer #${await c.market.offerCount()}: ${offer.direction} ${offer.kwh.toFixed(3)} kWh at node ${offer.node} for ${unitsToUsd(usdToUnits(offer.usd)).toFixed(8)} USD`,
        );
      }
    }
    return { period, reported, deliveries, settled: settleable, published, result };
  }

  /** Sends a transaction; on a transport failure, re-reads `done` before sending again. */
  private async send(
    label: string,
    tx: () => Promise<{ wait(): Promise<unknown> }>,
    done: () => Promise<boolean>,
  ): Promise<void> {
    await withRetry(
      label,
      async () => {
        if (await done()) return;
        await (await tx()).wait();
      },
      { ...this.cfg.retry, log: this.log },
    );
  }

  private async deliveredMoves(
    period: number,
    accepted: readonly DecodedOffer[],
    generatorOf: ReadonlyMap<bigint, string>,
    pending: readonly MeasuredDelivery[],
  ): Promise<Map<number, number>> {
    // bus → MW moved during `period`, from measurements on-chain or about to be reported.
    const moves = new Map<number, number>();
    const seen = new Set<string>();
    for (const o of accepted.filter((x) => x.period === period)) {
      const generator = generatorOf.get(o.id) as string;
      if (seen.has(generator)) continue;
      seen.add(generator);
      const [reported, wh] = await this.cfg.contracts.oracle.measuredAdjustment(period, generator);
      const kwh = reported
        ? Number(wh) / 1000
        : (pending.find((d) => d.period === period && d.generator === generator)?.adjustmentKwh ?? 0);
      moves.set(o.node, (moves.get(o.node) ?? 0) + kwh / 1000 / (PERIOD_SECONDS / 3600));
    }
    return moves;
  }
}

function fullDelivery(offers: readonly DecodedOffer[]): number {
  return offers.reduce((s, o) => s + (o.direction === "increase" ? o.kwh : -o.kwh), 0);
}

/** The case with each bus's redispatchable unit moved by `moves` (MW). */
function applyMoves(c: PowerCase, moves: ReadonlyMap<number, number>): PowerCase {
  if (moves.size === 0) return c;
  const gen = c.gen.map((g) => [...g]);
  for (const [bus, mw] of moves) {
    const unit = c.operation?.units.find((u) => c.gen[u.gen - 1][GEN.GEN_BUS] === bus);
    if (unit) gen[unit.gen - 1][GEN.PG] += mw;
  }
  return { ...c, gen };
}

function unitNodes(c: PowerCase): number[] {
  return c.operation?.units.map((u) => c.gen[u.gen - 1][GEN.GEN_BUS]) ?? [];
}

export interface GeneratorAgentConfig {
  readonly contracts: GridSwapContracts;
  readonly wallet: Signer;
  readonly policy: GeneratorPolicy;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export class GeneratorAgent {
  private readonly decided = new Set<bigint>();
  private readonly log: (line: string) => void;

  constructor(private readonly cfg: GeneratorAgentConfig) {
    this.log = cfg.log ?? (() => undefined);
  }

  /** Decides every open offer not yet decided; returns the ids accepted and rejected. */
  async poll(): Promise<{ accepted: bigint[]; rejected: bigint[] }> {
    const { contracts: c, wallet, policy } = this.cfg;
    const r = { ...this.cfg.retry, log: this.log };
    const provider = c.market.runner?.provider;
    if (!provider) throw new Error("the market contract has no provider");
    const accepted: bigint[] = [];
    const rejected: bigint[] = [];
    const now = (await withRetry("read block", () => provider.getBlock("latest"), r))?.timestamp ?? 0;
    for (const offer of await withRetry("read offers", () => readOffers(c.market), r)) {
      if (this.decided.has(offer.id)) continue;
      if ((await c.market.getOffer(offer.id)).status !== STATUS_OPEN) {
        this.decided.add(offer.id);
        continue;
      }
      const decision = decide(policy, offer, now);
      this.decided.add(offer.id);
      this.log(`offer #${offer.id}: ${decision.accept ? "accept" : "reject"} — ${decision.reason}`);
      if (!decision.accept) {
        rejected.push(offer.id);
        continue;
      }
      const market = await c.market.getAddress();
      const need = BigInt(Math.round(offer.kwh * 1000));
      if ((await c.kwh.allowance(policy.address, market)) < need) {
        await (await c.kwh.connect(wallet).approve(market, 2n ** 256n - 1n)).wait();
      }
      await withRetry(
        `accept #${offer.id}`,
        async () => {
          if ((await c.market.getOffer(offer.id)).status !== STATUS_OPEN) return;
          await (await c.market.connect(wallet).accept(offer.id)).wait();
        },
        r,
      );
      accepted.push(offer.id);
    }
    return { accepted, rejected };
  }
}
