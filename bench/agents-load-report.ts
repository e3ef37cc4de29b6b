/**
 * The load benchmark's figures (bench/agents-load.ts): what the agents' processes logged and
 * what the chain recorded, read back per period — latencies from the period's start, counts,
 * memory — and printed as a table.
 */
import type { JsonRpcProvider } from "ethers";
import type { GridSwapContracts } from "../oracle/chain/deploy";
import { AgentProcess } from "../test/e2e/agent-process";

/** Anvil's block time in the benchmark, s (the unit its latencies are read in). */
export const BLOCK_SECONDS = 12;
/** Each generator's planned output, MW (what it nominates). */
export const PLANNED_MW = 0.05;
/** Progress and results go to stderr (stdout stays for the agents' JSON). */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

export const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const max = (xs: readonly number[]): number | null => (xs.length === 0 ? null : Math.max(...xs));
export const min = (xs: readonly number[]): number | null => (xs.length === 0 ? null : Math.min(...xs));
export const mb = (kb: number | undefined): number | null => (kb === undefined ? null : Math.round(kb / 102.4) / 10);

export type Role = "centre" | "operator" | "generator";

export interface Proc {
  readonly name: string;
  readonly role: Role;
  readonly agent: AgentProcess;
  /** The state file path: unique in the process's arguments (finds its pid). */
  readonly marker: string;
  readonly startedMs: number;
  /** The line an agent logs after each step with --verbose. */
  readonly stepDone: RegExp;
  pid?: number;
  start?: { rssKb: number; hwmKb: number; afterSeconds: number };
  end?: { rssKb: number; hwmKb: number };
  exit?: string;
}

/** What to count in each role's output (log lines), by name. */
export const SIGNALS: Record<Role, Record<string, RegExp>> = {
  centre: {
    reported: /: reported \d+ violation/,
    "offers posted (lines)": /: posted offer 0x/,
    "settled (lines)": /settled \d+ book\(s\):/,
    "report waits / too few signatures": /too few operators signed/,
    "operator refused": /operator .* refused:/,
    "operator did not answer": /did not answer:/,
    "report without its study": /does not carry this study/,
    "too late to post": /too late to post/,
    "offers not posted": /not posted —/,
    "step failed": /step failed:/,
    "node unreachable": /node unreachable/,
    retry: /retry|retrying/i,
  },
  operator: {
    "stood in": /standing in as proposer/,
    "landed a stand-in report": /landed the stand-in report/,
    corrected: /corrected /,
    refused: /refused/,
    "step failed": /step failed:/,
    "node unreachable": /node unreachable/,
    retry: /retry|retrying/i,
  },
  generator: {
    "filled (lines)": /filled offer 0x/,
    "decided to fill": /: fill — /,
    "missed: rivals took it": /not filled — no longer open/,
    "missed: below minimum": /not filled — what rivals left/,
    "fill failed, will retry": /fill failed, will retry/,
    "rejected: no longer open": /reject — no longer open/,
    "rejected: capacity committed": /reject — my capacity/,
    "rejected: room below minimum": /reject — room for/,
    "rejected: other": /reject — (?!no longer open|my capacity|room for)/,
    "paid (lines)": /paid for my commitment/,
    "step failed": /step failed:/,
    "node unreachable": /node unreachable/,
  },
};

// ---------------------------------------------------------------------------------------------

export interface Config {
  readonly periods: number;
  readonly periodSeconds: number;
  readonly generators: number;
  readonly standInAfterSeconds: number;
  readonly centreInterval: number;
  readonly generatorInterval: number;
  readonly operatorInterval: number;
  readonly logs?: string;
}

// ---------------------------------------------------------------------------------------------
// The chain's record and the processes' figures

export interface AnalyseInput {
  readonly cfg: Config;
  readonly c: GridSwapContracts;
  readonly p: JsonRpcProvider;
  readonly procs: readonly Proc[];
  readonly logs: ReadonlyMap<string, string>;
  readonly first: number;
  readonly last: number;
  readonly firstAgentBlock: number;
  readonly endBlock: number;
  readonly centre: string;
  readonly operators: readonly string[];
  readonly generators: ReadonlyMap<string, number>;
  readonly nodes: readonly number[];
  readonly capacityKwh: (node: number) => string;
  readonly anvilMemory?: { rssKb: number; hwmKb: number };
  readonly wallSeconds: number;
}

export interface Row {
  readonly period: number;
  readonly reportS: number | null;
  readonly reportedBy: string | null;
  readonly measurements: number;
  readonly offers: number;
  readonly offersS: number | null;
  readonly fills: number;
  readonly fillers: number;
  readonly filledKwh: number;
  readonly offeredKwh: number;
  readonly firstFillS: number | null;
  /** Fills for P+1 that reverted on chain (a rival's fill landed first in the same block). */
  revertedFills: number;
  readonly lastFillS: number | null;
  readonly booksToSettle: number;
  readonly settled: number;
  readonly settlementS: number | null;
  readonly centreNotes: string[];
}

export type Summary = Awaited<ReturnType<typeof analyse>>;

export async function analyse(o: AnalyseInput) {
  const { c, p } = o;
  const S = o.cfg.periodSeconds;
  const times = new Map<number, number>();
  const at = async (block: number): Promise<number> => {
    let t = times.get(block);
    if (t === undefined) {
      t = (await p.getBlock(block))?.timestamp ?? Number.NaN;
      times.set(block, t);
    }
    return t;
  };
  const from = o.firstAgentBlock;
  const [reports, measured, posted, filled, settled, unwound] = await Promise.all([
    c.oracle.queryFilter(c.oracle.filters.ReportSubmitted(), from, o.endBlock),
    c.oracle.queryFilter(c.oracle.filters.MeasurementReported(), from, o.endBlock),
    c.market.queryFilter(c.market.filters.OfferPosted(), from, o.endBlock),
    c.market.queryFilter(c.market.filters.Filled(), from, o.endBlock),
    c.market.queryFilter(c.market.filters.Settled(), from, o.endBlock),
    c.market.queryFilter(c.market.filters.Unwound(), from, o.endBlock),
  ]);
  const who = (address: string): string => {
    const a = address.toLowerCase();
    if (a === o.centre.toLowerCase()) return "centre";
    const k = o.operators.findIndex((x) => x.toLowerCase() === a);
    if (k >= 0) return `operator-${k}`;
    const g = o.generators.get(a);
    return g === undefined ? address : `gen-${g}`;
  };
  const centreLog = o.logs.get("centre") ?? "";

  const rows: Row[] = [];
  for (let P = o.first; P <= o.last; P++) {
    const B = P * S;
    const report = reports.find((r) => Number(r.args.period) === P);
    const reportTx = report ? await p.getTransaction(report.transactionHash) : null;
    const offers = posted.filter((x) => Number(x.args.offer.period) === P + 1);
    const fills = filled.filter((x) => Number(x.args.period) === P + 1);
    const books = new Set(
      filled.filter((x) => Number(x.args.period) === P - 1).map((x) => `${x.args.generator}:${x.args.period}`),
    );
    const settles = settled.filter((x) => Number(x.args.period) === P - 1);
    const offerTimes = await Promise.all(offers.map((x) => at(x.blockNumber)));
    const fillTimes = await Promise.all(fills.map((x) => at(x.blockNumber)));
    const settleTimes = await Promise.all(settles.map((x) => at(x.blockNumber)));
    // What the centre said about this period, other than its routine lines.
    const notes = centreLog
      .split("\n")
      .filter((l) => l.includes(`: period ${P}: `) && !/reported \d+ violation|posted offer|step done/.test(l))
      .map((l) => l.replace(/^\S+ agent:centre: /, ""));
    rows.push({
      period: P,
      reportS: report ? (await at(report.blockNumber)) - B : null,
      reportedBy: reportTx ? who(reportTx.from) : null,
      measurements: measured.filter((m) => Number(m.args.reportPeriod) === P).length,
      offers: offers.length,
      offersS: min(offerTimes.map((t) => t - B)),
      fills: fills.length,
      fillers: new Set(fills.map((f) => f.args.generator)).size,
      filledKwh: fills.reduce((s, f) => s + Number(f.args.details.amountWh), 0) / 1000,
      offeredKwh: offers.reduce((s, x) => s + Number(x.args.offer.amountWh), 0) / 1000,
      firstFillS: min(fillTimes.map((t) => t - B)),
      revertedFills: 0,
      lastFillS: max(fillTimes.map((t) => t - B)),
      booksToSettle: books.size,
      settled: settles.length,
      settlementS: max(settleTimes.map((t) => t - B)),
      centreNotes: [...new Set(notes)].slice(0, 3),
    });
  }
  const stat = (pick: (r: Row) => number | null) => {
    const xs = rows.map(pick).filter((x): x is number => x !== null);
    return { median: median(xs), max: max(xs), periods: xs.length, missing: rows.length - xs.length };
  };

  // Every transaction the agents sent, by sender and function, and which reverted (a block scan).
  const txs: Record<string, { sent: number; reverted: number; gas: number }> = {};
  const reverted: { block: number; from: string; fn: string; period: number | null; hash: string }[] = [];
  const parse = (to: string | null, data: string): { fn: string; period: number | null } => {
    if (!to) return { fn: "create", period: null };
    for (const contract of [c.market, c.oracle, c.kwh, c.usd, c.registry]) {
      try {
        const parsed = contract.interface.parseTransaction({ data });
        if (parsed) {
          const offer = parsed.name === "fill" ? (parsed.args[0] as { period: bigint }) : undefined;
          return { fn: parsed.name, period: offer ? Number(offer.period) : null };
        }
      } catch {
        // not this contract's
      }
    }
    return { fn: data.slice(0, 10), period: null };
  };
  for (let b = o.firstAgentBlock + 1; b <= o.endBlock; b++) {
    const hex = `0x${b.toString(16)}`;
    const [block, receipts] = (await Promise.all([
      p.send("eth_getBlockByNumber", [hex, true]),
      p.send("eth_getBlockReceipts", [hex]),
    ])) as [
      { transactions: { hash: string; from: string; to: string | null; input: string }[] },
      { transactionHash: string; status: string; gasUsed: string }[],
    ];
    const byHash = new Map(receipts.map((r) => [r.transactionHash, r]));
    for (const tx of block.transactions) {
      const role = who(tx.from).replace(/-\d+$/, "");
      const { fn, period } = parse(tx.to, tx.input);
      const r = byHash.get(tx.hash);
      const entry = (txs[`${role} ${fn}`] ??= { sent: 0, reverted: 0, gas: 0 });
      entry.sent++;
      entry.gas += Number(r?.gasUsed ?? 0);
      if (r && Number(r.status) !== 1) {
        entry.reverted++;
        reverted.push({ block: b, from: who(tx.from), fn, period, hash: tx.hash });
      }
    }
  }
  const revertedFills = reverted.filter((r) => r.from.startsWith("gen-") && r.fn === "fill");
  for (const r of rows) {
    r.revertedFills = revertedFills.filter((x) => x.period === r.period + 1).length;
  }

  // Duplicates.
  const count = (keys: string[]): number => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m.values()].filter((n) => n > 1).length;
  };

  // Memory.
  const memory = (role: Role) => {
    const xs = o.procs.filter((x) => x.role === role);
    const pick = (f: (x: Proc) => number | undefined) =>
      xs.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const fig = (f: (x: Proc) => number | undefined) => {
      const v = pick(f);
      return { min: mb(min(v) ?? undefined), median: mb(median(v) ?? undefined), max: mb(max(v) ?? undefined) };
    };
    return {
      processes: xs.length,
      startMB: fig((x) => x.start?.rssKb),
      endMB: fig((x) => x.end?.rssKb),
      peakMB: fig((x) => x.end?.hwmKb),
      growthMB: fig((x) => (x.start && x.end ? x.end.rssKb - x.start.rssKb : undefined)),
    };
  };

  // What the logs say, per role (line counts), and a few samples of failures.
  const signals: Record<string, Record<string, number>> = {};
  const samples: Record<string, string[]> = {};
  const kindsSeen: Record<string, Set<string>> = {};
  for (const x of o.procs) {
    // The --verbose step summaries repeat a step's problems: each is counted from its own line.
    const lines = (o.logs.get(x.name) ?? "").split("\n").filter((l) => !/: (step|tick|poll) done/.test(l));
    const counts = (signals[x.role] ??= {});
    for (const [name, re] of Object.entries(SIGNALS[x.role])) {
      const n = lines.filter((l) => re.test(l)).length;
      if (n > 0) counts[name] = (counts[name] ?? 0) + n;
    }
    // One sample per kind of line (timestamps, hashes and numbers aside).
    const kinds = (kindsSeen[x.role] ??= new Set());
    for (const l of lines.filter((l) => /step failed|fill failed|unreachable|refused|standing in|too late/.test(l))) {
      const kind = l.replace(/^\S+ /, "").replace(/0x[0-9a-fA-F]+|\d+(\.\d+)?/g, "#");
      if (kinds.has(kind)) continue;
      kinds.add(kind);
      const s = (samples[x.role] ??= []);
      if (s.length < 8) s.push(`${x.name}: ${l}`);
    }
  }

  return {
    bench: "agents-load",
    config: {
      chain: `anvil --block-time ${BLOCK_SECONDS} (deployment on automine, then a block every ${BLOCK_SECONDS} s)`,
      case: `seed34, periodMinutes ${S / 60}, the case's own schedule (congested: lines 11-14, 14-17, 24-27)`,
      periods: o.cfg.periods,
      periodSeconds: S,
      measuredPeriods: [o.first, o.last],
      generators: Object.fromEntries(
        [...new Set(o.nodes)].map((n) => [
          `node ${n}`,
          { count: o.nodes.filter((x) => x === n).length, capacityKwh: Number(o.capacityKwh(n)) },
        ]),
      ),
      policy: { costUsdPerKwh: 0.01, marginUsdPerKwh: 0.002, plannedMW: PLANNED_MW },
      intervalsSeconds: {
        centre: o.cfg.centreInterval,
        generator: o.cfg.generatorInterval,
        operator: o.cfg.operatorInterval,
      },
      readingGraceSeconds: 0,
      standInAfterSeconds: o.cfg.standInAfterSeconds,
      disputeWindowSeconds: Number((await c.market.terms()).disputeWindowSeconds),
      gateClosureSeconds: Number((await c.market.terms()).gateClosureSeconds),
    },
    latencySeconds: {
      boundary: "start of period P (= end of P−1), chain time P·periodSeconds; block timestamps",
      report: { what: "ReportSubmitted(P): the report measuring P−1", ...stat((r) => r.reportS) },
      offers: { what: "first OfferPosted for P+1", ...stat((r) => r.offersS) },
      lastFill: { what: "last Filled for delivery period P+1", ...stat((r) => r.lastFillS) },
      settlement: {
        what: "last Settled of P−1's books (after report P and its dispute window)",
        ...stat((r) => r.settlementS),
      },
    },
    periods: rows,
    counts: {
      blocks: o.endBlock - o.firstAgentBlock,
      reports: reports.length,
      reportsByStandIn: (
        await Promise.all(reports.map(async (r) => who((await p.getTransaction(r.transactionHash))?.from ?? "")))
      ).filter((w) => w.startsWith("operator")).length,
      offersPosted: posted.length,
      fills: filled.length,
      fillsReverted: revertedFills.length,
      transactionsReverted: reverted.length,
      settlements: settled.length,
      unwinds: unwound.length,
      duplicateOfferPosts: count(posted.map((x) => x.args.offerHash)),
      duplicateFills: count(filled.map((x) => `${x.args.offerHash}:${x.args.generator}`)),
      duplicateReports: count(reports.map((r) => String(r.args.period))),
      /** Books still open at the end: those of the periods after the measured settlements. */
      openBooksAtEnd:
        new Set(filled.map((f) => `${f.args.generator}:${f.args.period}`)).size - settled.length - unwound.length,
    },
    transactions: txs,
    reverted: reverted.slice(0, 30),
    memory: {
      centre: memory("centre"),
      operators: memory("operator"),
      generators: memory("generator"),
      anvilEndMB: mb(o.anvilMemory?.rssKb),
      perProcess: o.procs.map((x) => ({
        name: x.name,
        pid: x.pid ?? null,
        startMB: mb(x.start?.rssKb),
        startAfterSeconds: x.start?.afterSeconds ?? null,
        endMB: mb(x.end?.rssKb),
        peakMB: mb(x.end?.hwmKb),
      })),
    },
    logs: signals,
    logSamples: samples,
    exits: o.procs.filter((x) => x.exit).map((x) => `${x.name}: ${x.exit}`),
    wallSeconds: o.wallSeconds,
  };
}

export function printTable(s: Summary): void {
  const f = (x: number | null, w = 6): string => (x === null ? "—" : String(Math.round(x))).padStart(w);
  say("");
  say(
    `agents under load: ${s.config.periods} periods × ${s.config.periodSeconds} s, ${BLOCK_SECONDS}-s blocks, ` +
      `${Object.values(s.config.generators).reduce((n, g) => n + g.count, 0)} generators, wall ${s.wallSeconds} s`,
  );
  say(
    "latency from the start of period P, s (block timestamps): report P (it measures P−1) and who landed it, its " +
      "measurements; the offers and fills for P+1 (rvrt: fills that reverted on chain); P−1's books settled / booked",
  );
  say(
    `${"period P".padEnd(10)}${"report".padStart(7)} ${"by".padEnd(11)}${"meas".padStart(5)}${"offers".padStart(7)}${"at".padStart(6)}` +
      `${"fills".padStart(6)}${"rvrt".padStart(5)}${"kWh filled/offered".padStart(20)}${"1st fill".padStart(9)}${"last".padStart(6)}` +
      `${"P−1 settled".padStart(13)}${"at".padStart(6)}`,
  );
  for (const r of s.periods) {
    say(
      `${String(r.period).padEnd(10)}${f(r.reportS, 7)} ${(r.reportedBy ?? "—").padEnd(11)}${String(r.measurements).padStart(5)}` +
        `${String(r.offers).padStart(7)}${f(r.offersS)}${String(r.fills).padStart(6)}${String(r.revertedFills).padStart(5)}` +
        `${`${r.filledKwh.toFixed(3)}/${r.offeredKwh.toFixed(3)}`.padStart(20)}${f(r.firstFillS, 9)}${f(r.lastFillS)}` +
        `${`${r.settled}/${r.booksToSettle}`.padStart(13)}${f(r.settlementS)}`,
    );
    for (const n of r.centreNotes) say(`          centre: ${n}`);
  }
  const l = s.latencySeconds;
  for (const [name, x] of [
    ["report", l.report],
    ["offers", l.offers],
    ["last fill", l.lastFill],
    ["settlement", l.settlement],
  ] as const) {
    say(
      `${name.padEnd(11)} median ${f(x.median, 5)} s   max ${f(x.max, 5)} s` +
        (x.missing > 0 ? `   (none in ${x.missing} of ${x.periods + x.missing} periods)` : ""),
    );
  }
  const m = s.memory;
  const fig = (x: { min: number | null; median: number | null; max: number | null }): string =>
    x.min === x.max ? `${x.median}` : `${x.min} / ${x.median} / ${x.max}`;
  say("RSS, MB (min / median / max over the processes of a role): start → end (peak)");
  for (const [name, x] of [
    ["centre", m.centre],
    ["operators", m.operators],
    ["generators", m.generators],
  ] as const)
    say(
      `  ${name.padEnd(11)} ×${String(x.processes).padEnd(3)} ${fig(x.startMB)} → ${fig(x.endMB)}  (peak ${fig(x.peakMB)}; growth ${fig(x.growthMB)})`,
    );
  say(`  anvil at the end: ${m.anvilEndMB} MB`);
  const k = s.counts;
  say(
    `counts: ${k.reports} reports (${k.reportsByStandIn} by a stand-in), ${k.offersPosted} offers posted, ${k.fills} fills, ` +
      `${k.fillsReverted} fills reverted on chain (${k.transactionsReverted} transactions in all), ${k.settlements} settlements, ` +
      `${k.unwinds} unwinds, ${k.openBooksAtEnd} books of later periods open at the end; duplicates: ${k.duplicateOfferPosts} offers posted twice, ` +
      `${k.duplicateFills} offers filled twice by one generator, ${k.duplicateReports} reports twice`,
  );
  say("transactions by sender and function (sent / reverted):");
  for (const [key, v] of Object.entries(s.transactions).sort())
    say(`  ${key.padEnd(34)} ${String(v.sent).padStart(5)} / ${v.reverted}`);
  say("the agents' logs (lines):");
  for (const [role, counts] of Object.entries(s.logs))
    say(
      `  ${role.padEnd(10)} ${Object.entries(counts)
        .map(([n, v]) => `${n} ${v}`)
        .join("; ")}`,
    );
  for (const [role, lines] of Object.entries(s.logSamples)) {
    say(`  ${role}, samples:`);
    for (const line of lines) say(`    ${line.slice(0, 300)}`);
  }
  if (s.exits.length > 0) say(`processes that exited during the run: ${s.exits.join("; ")}`);
}
