/**
 * The chain's account of a simulated day: its fills, settlements and unwinds read back from the
 * logs, per period and per generator, and checked against the balances (conservation).
 */
import { readMarketEvents } from "../chain/board";
import { bookKeyId } from "../chain/market-data";
import type { DayResult } from "./day";
import type { World } from "./world";

export interface Conservation {
  readonly ok: boolean;
  /** USD·1e-8 and Wh, as decimal strings (exact). */
  readonly usd: { paid: string; generatorsGained: string; centreSpent: string; openEscrow: string };
  readonly kwh: { toCentre: string; centreGained: string; generatorsSpent: string; openEscrow: string };
}

export interface ChainOutcome {
  readonly perGenerator: {
    address: string;
    fills: number;
    rejected: number;
    usdPaid: number;
    kwhSold: number;
    kwhPenalty: number;
  }[];
  readonly trades: number;
  readonly openPositions: number;
  /** Per day period: USD paid and kWh moved for its positions, positions settled and left open. */
  readonly perPeriod: Map<number, { usd: number; kwh: number; settled: number; open: number }>;
  readonly usdPaidUnits: bigint;
  readonly kwhToCentreWh: bigint;
  readonly kwhPenaltyWh: bigint;
  readonly deliveredWh: bigint;
  readonly committedWh: bigint;
  readonly gasTotal: number;
  readonly gasSetup: number;
  readonly gasByFunction: Record<string, number>;
  readonly tailPeriods: number;
  readonly conservation: Conservation;
  readonly where: NonNullable<DayResult["chain"]>;
}
/** The day's books (delivery periods p0 … last) still open on chain. */
export async function openDayPositions(world: World, p0: number, last: number): Promise<number> {
  const events = await readMarketEvents(world.contracts.market, world.deployBlock);
  const closed = new Set([...events.settlements, ...events.unwinds].map((e) => bookKeyId(e)));
  const books = new Set(
    events.fills.filter(({ fill }) => fill.period >= p0 && fill.period <= last).map(({ fill }) => bookKeyId(fill)),
  );
  return [...books].filter((k) => !closed.has(k)).length;
}

export interface Balances {
  /** USD·1e-8 and Wh: wallets plus free vault balances. */
  readonly centreUsd: bigint;
  readonly centreWh: bigint;
  readonly generatorsUsd: bigint;
  readonly generatorsWh: bigint;
}

export async function balances(world: World): Promise<Balances> {
  const { usd, kwh, market } = world.contracts;
  const of = async (address: string): Promise<[bigint, bigint]> => {
    const [vaultUsd, vaultWh] = await market.balancesOf(address);
    return [(await usd.balanceOf(address)) + vaultUsd, (await kwh.balanceOf(address)) + vaultWh];
  };
  const [centreUsd, centreWh] = await of(world.accounts.centre.address);
  let generatorsUsd = 0n;
  let generatorsWh = 0n;
  for (const g of world.generators) {
    const [u, w] = await of(g.wallet.address);
    generatorsUsd += u;
    generatorsWh += w;
  }
  return { centreUsd, centreWh, generatorsUsd, generatorsWh };
}

/** The day's fills, settlements and unwinds as the chain has them, and the balance changes they explain. */
export async function accountOfDay(
  world: World,
  p0: number,
  last: number,
  first: number,
  before: Balances,
): Promise<Omit<ChainOutcome, "gasTotal" | "gasSetup" | "gasByFunction" | "tailPeriods" | "where">> {
  const events = await readMarketEvents(world.contracts.market, world.deployBlock);
  const fills = events.fills.filter(({ fill }) => fill.period >= p0 && fill.period <= last);
  const settledBy = new Map(events.settlements.map((s) => [bookKeyId(s), s.settlement]));
  const unwound = new Set(events.unwinds.map((u) => bookKeyId(u)));
  // A generator's fills of one period make one book, settled (or unwound) as a whole.
  const books = new Map<string, { generator: string; period: number; committedWh: bigint; usd: bigint }>();
  for (const { fill } of fills) {
    const key = bookKeyId(fill);
    const book = books.get(key) ?? { generator: fill.generator, period: fill.period, committedWh: 0n, usd: 0n };
    book.committedWh += fill.amountWh;
    book.usd += fill.usd;
    books.set(key, book);
  }
  let usdPaidUnits = 0n;
  let toCentreWh = 0n;
  let penaltyWh = 0n;
  let deliveredWh = 0n;
  let committedWh = 0n;
  let openEscrowUsd = 0n;
  let openEscrowWh = 0n;
  let openPositions = 0;
  const perGenerator = world.generators.map((g) => ({
    address: g.wallet.address,
    fills: 0,
    rejected: 0,
    usdPaid: 0,
    kwhSold: 0,
    kwhPenalty: 0,
  }));
  const perPeriod = new Map<number, { usd: number; kwh: number; settled: number; open: number }>();
  for (const [key, book] of books) {
    const k = first + book.period - p0;
    const row = perPeriod.get(k) ?? { usd: 0, kwh: 0, settled: 0, open: 0 };
    perPeriod.set(k, row);
    const s = settledBy.get(key);
    const g = perGenerator.find((x) => x.address.toLowerCase() === book.generator.toLowerCase());
    if (s) {
      usdPaidUnits += s.usdToGenerator;
      toCentreWh += s.paidWh + s.penaltyWh;
      penaltyWh += s.penaltyWh;
      deliveredWh += s.deliveredWh;
      committedWh += book.committedWh;
      row.usd += Number(s.usdToGenerator) / 1e8;
      row.kwh += Number(s.paidWh + s.penaltyWh) / 1000;
      row.settled++;
      if (g) {
        g.usdPaid += Number(s.usdToGenerator) / 1e8;
        g.kwhSold += Number(s.paidWh) / 1000;
        g.kwhPenalty += Number(s.penaltyWh) / 1000;
      }
    } else if (!unwound.has(key)) {
      openEscrowUsd += book.usd;
      openEscrowWh += book.committedWh;
      row.open++;
      openPositions++;
    }
  }
  const after = await balances(world);
  const generatorsGained = after.generatorsUsd - before.generatorsUsd;
  const centreSpent = before.centreUsd - after.centreUsd;
  const centreGainedWh = after.centreWh - before.centreWh;
  const generatorsSpentWh = before.generatorsWh - after.generatorsWh;
  const conservation: Conservation = {
    ok:
      generatorsGained === usdPaidUnits &&
      centreSpent === usdPaidUnits + openEscrowUsd &&
      centreGainedWh === toCentreWh &&
      generatorsSpentWh === toCentreWh + openEscrowWh,
    usd: {
      paid: usdPaidUnits.toString(),
      generatorsGained: generatorsGained.toString(),
      centreSpent: centreSpent.toString(),
      openEscrow: openEscrowUsd.toString(),
    },
    kwh: {
      toCentre: toCentreWh.toString(),
      centreGained: centreGainedWh.toString(),
      generatorsSpent: generatorsSpentWh.toString(),
      openEscrow: openEscrowWh.toString(),
    },
  };
  return {
    perGenerator,
    trades: fills.length,
    openPositions,
    perPeriod,
    usdPaidUnits,
    kwhToCentreWh: toCentreWh,
    kwhPenaltyWh: penaltyWh,
    deliveredWh,
    committedWh,
    conservation,
  };
}
