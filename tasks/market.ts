/**
 * The market's tasks: gridswap:period (one step of the power quality centre and its oracle — the
 * centre agent's own step), gridswap:offers (the bulletin board, decoded) and gridswap:fill (a
 * generator's wallet fills an offer).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  connectDeployment,
  fail,
  fmtKwh,
  fmtUsd,
  gridswapTask,
  isoTime,
  MAX_KWH_WH,
  parseUnitsExact,
  printTable,
  requireGas,
  roleSigner,
  sent,
  walletFrom,
  WALLET_OPTIONS,
  type Connected,
  type WalletArgs,
  chain,
  DEFAULT_CASE,
  deploymentsRoot,
} from "./common";
import { periodEnergyWh, unitsToUsd, whToKwh } from "../oracle/chain/units";

/** `34=0.5183,27=0.1` → { "34": 0.5183, "27": 0.1 } (Hardhat lets each option appear once). */
export function parsePairs(value: string | undefined, flag: string, what: string): Map<number, number> {
  const out = new Map<number, number>();
  if (value === undefined || value.trim() === "") return out;
  for (const item of value.split(/[\s,]+/).filter((s) => s !== "")) {
    const m = /^(\d+)=(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/.exec(item);
    if (!m || !Number.isFinite(Number(m[2]))) {
      fail(`${flag}: '${item}' is not ${what} (several: comma-separated)`);
    }
    if (out.has(Number(m[1]))) fail(`${flag}: ${m[1]} is given twice`);
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/** The oracle signers: ORACLE_KEYS, ORACLE_KEY(STORE), or the node's accounts holding the recorded signer addresses. */
async function oracleSigners(hre: HardhatRuntimeEnvironment, c: Connected) {
  const { walletsFromList } = await chain(hre);
  if (process.env.ORACLE_KEYS) return walletsFromList("ORACLE_KEYS", hre.ethers.provider);
  if (process.env.ORACLE_KEY || process.env.ORACLE_KEYSTORE) return [await roleSigner(hre, c, "oracle")];
  const recorded = c.roles?.oracleSigners ?? [];
  if (recorded.length === 0) {
    fail(`the deployment file ${c.path} records no oracle signers: set ORACLE_KEYS (comma-separated) or ORACLE_KEY`);
  }
  const accounts = await hre.ethers.getSigners();
  const held = accounts.filter((a) => recorded.some((r) => r.toLowerCase() === a.address.toLowerCase()));
  if (held.length < (c.roles?.oracleThreshold ?? 1)) {
    fail(
      `the oracle needs ${c.roles?.oracleThreshold} signature(s); network '${hre.network.name}' holds ${held.length} ` +
        "of the signers' accounts: set ORACLE_KEYS (comma-separated private keys)",
    );
  }
  return held;
}

/** The case file the deployment of this network recorded, read before anything touches the chain. */
function recordedCaseOf(network: string): string | undefined {
  const path = join(deploymentsRoot(), "deployments", `${network}.json`);
  if (!existsSync(path)) return undefined;
  try {
    const grid = (JSON.parse(readFileSync(path, "utf8")) as { grid?: { file?: unknown } }).grid;
    return typeof grid?.file === "string" ? grid.file : undefined;
  } catch {
    return undefined; // connectDeployment names a malformed file
  }
}

interface PeriodArgs {
  case?: string;
  forecast?: string;
  meters?: string;
  metersUrl?: string;
  simulateMeters: boolean;
  delivery?: string;
  baseline?: string;
  baselineDays?: string;
  state?: string;
}

gridswapTask<PeriodArgs>(
  "period",
  "One step of the centre (as agent:centre does) with the oracle operators whose keys it holds in process: study, report, settle, post offers",
  [
    {
      name: "case",
      description: `Case file with operation data (default: the deployment's case, else ${DEFAULT_CASE})`,
    },
    { name: "forecast", description: "Unit output forecasts, BUS=MW, comma-separated (e.g. 34=0.5183,27=0.1)" },
    { name: "meters", description: "Meter readings: a directory or file of CSV/JSON readings (docs/metering.md)" },
    { name: "metersUrl", description: "Meter readings from an HTTP endpoint (docs/metering.md)" },
    {
      name: "simulateMeters",
      description: "Devnets only: meters that read the schedule plus the committed moves",
      flag: true,
    },
    { name: "delivery", description: "With --simulate-meters: NODE=FRACTION delivered, comma-separated (default 1)" },
    {
      name: "baseline",
      description: "Baseline the offers name: nominated, rolling or meter-before (default nominated)",
    },
    { name: "baselineDays", description: "Days of a rolling baseline (default 5)" },
    { name: "state", description: "The centre's state file (default: the one agent:centre uses)" },
  ],
  async (args, hre) => {
    const sources = [args.meters, args.metersUrl, args.simulateMeters ? "x" : undefined].filter((x) => x !== undefined);
    if (sources.length === 0) {
      fail("no meter source: give --meters <dir|file>, --meters-url <url> or, on a devnet, --simulate-meters");
    }
    if (sources.length > 1) fail("give one meter source: --meters, --meters-url or --simulate-meters");
    if (args.delivery !== undefined && !args.simulateMeters) fail("--delivery only applies with --simulate-meters");
    const fractions = parsePairs(args.delivery, "--delivery", "NODE=FRACTION (0.6 = 60 %)");
    const generation = Object.fromEntries(
      [...parsePairs(args.forecast, "--forecast", "BUS=MW with MW ≥ 0 (e.g. 34=0.5183)")].map(([k, v]) => [
        String(k),
        v,
      ]),
    );
    const methods = { nominated: "Nominated", rolling: "RollingAverage", "meter-before": "MeterBefore" } as const;
    const method = methods[(args.baseline ?? "nominated") as keyof typeof methods];
    if (method === undefined) fail(`--baseline must be nominated, rolling or meter-before, got '${args.baseline}'`);
    const days = args.baselineDays === undefined ? 5 : Number(args.baselineDays);
    if (!Number.isInteger(days) || days < 1 || days > 10)
      fail(`--baseline-days must be an integer from 1 to 10, got '${args.baselineDays}'`);
    const casePath = resolve(args.case ?? recordedCaseOf(hre.network.name) ?? DEFAULT_CASE);
    if (!existsSync(casePath)) fail(`--case: no such file ${casePath}`);
    const caseText = readFileSync(casePath, "utf8");
    const { loadCase } = await chain(hre);
    let powerCase: ReturnType<typeof loadCase>;
    try {
      powerCase = loadCase(casePath);
    } catch (e) {
      fail(`--case ${casePath}: ${(e as Error).message.split("\n")[0]}`);
    }

    const c = await connectDeployment(hre);
    const centre = await roleSigner(hre, c, "centre", c.roles?.centres[0]);
    const signers = await oracleSigners(hre, c);
    // Everything the step needs, before its first transaction: gas for the centre (it sends the
    // report, the settlements, the deposit and the offers) and USD to back the offers.
    await requireGas(hre, await centre.getAddress(), "the centre");
    const [freeUsd] = await c.contracts.market.balancesOf(await centre.getAddress());
    if (freeUsd === 0n && (await c.contracts.usd.balanceOf(await centre.getAddress())) === 0n) {
      fail(
        `the centre ${await centre.getAddress()} holds no USD, in its wallet or the vault, to back offers: gridswap:mint --to it`,
      );
    }
    const { CentreAgent } = await chain(hre);
    const { FileMeterSource, HttpMeterSource } = await chain(hre);
    const { CommittedDeliveryMeters } = await chain(hre);
    const centreAddress = await centre.getAddress();
    const { chainId } = await hre.ethers.provider.getNetwork();
    const meters = args.meters
      ? new FileMeterSource({ path: args.meters, periodSeconds: c.file.periodSeconds })
      : args.metersUrl
        ? new HttpMeterSource({ url: args.metersUrl, periodSeconds: c.file.periodSeconds })
        : new CommittedDeliveryMeters(
            c.contracts,
            c.file.deployBlock,
            c.file.periodSeconds,
            (node) => fractions.get(node) ?? 1,
          );
    // The oracle operators, in this process: one per oracle key the task holds, each checking the
    // centre's proposal from the meter data as agent:oracle would (a devnet convenience; on a real
    // chain every operator is its own agent:oracle process).
    const { OracleOperator } = await chain(hre);
    const { chainId: cid } = await hre.ethers.provider.getNetwork();
    if (args.simulateMeters && cid !== 31337n && cid !== 1337n)
      fail(`--simulate-meters on chain ${cid}: simulated (unsigned) meters are for devnets only`);
    const operators = [];
    for (const signer of signers) {
      const address = await signer.getAddress();
      const operator = new OracleOperator({
        contracts: c.contracts,
        deployBlock: c.file.deployBlock,
        signer,
        case: powerCase,
        caseText,
        meters,
        requireSignedReadings: !args.simulateMeters,
        readingGraceSeconds: 0,
        // Beside the centre's state file (--state), else in .gridswap/ of the working directory.
        statePath: join(
          args.state ? dirname(args.state) : ".gridswap",
          `oracle-${cid}-${c.file.addresses.market}-${address}.json`,
        ),
        log: (line) => console.log(`  operator ${address.slice(0, 10)}: ${line}`),
      });
      await operator.prepare();
      operators.push(operator);
    }
    const agent = new CentreAgent({
      contracts: c.contracts,
      deployBlock: c.file.deployBlock,
      centre,
      operators,
      case: powerCase,
      caseText,
      forecasts: () => ({ generation }),
      readingGraceSeconds: 0,
      baseline: { method, days },
      statePath: args.state ?? join(".gridswap", `centre-${chainId}-${c.file.addresses.market}-${centreAddress}.json`),
      log: (line) => console.log(`  ${line}`),
    });
    const step = await agent.step();
    const p = c.file.periodSeconds;
    console.log(
      `period ${step.period} (${isoTime(step.period * p)} to ${isoTime((step.period + 1) * p)}), centre ${centreAddress}`,
    );
    const lines = step.study?.violations.lines.filter((v) => v.kind === "active") ?? [];
    console.log(
      `  study of period ${step.deliveryPeriod}: ${lines.length === 0 ? "no line over its limit" : `${lines.length} line(s) over their limits`}`,
    );
    for (const v of lines) {
      console.log(
        `    branch row ${v.branchRow} (${v.from}-${v.to}): ${v.value.toFixed(4)} MW, limit ${v.limit.toFixed(4)} MW`,
      );
    }
    console.log(`  report: ${step.reported ? "submitted" : "already on chain (or waiting for meter data)"}`);
    for (const m of step.measurements) {
      console.log(`  measured ${m.generator} in period ${m.period}: delivered ${fmtKwh(m.deliveredWh)} kWh`);
    }
    const fmtBook = (k: { generator: string; period: number }): string => `${k.generator}@${k.period}`;
    console.log(`  settled: ${step.settled.length === 0 ? "none" : step.settled.map(fmtBook).join(", ")}`);
    if (step.unwound.length > 0) console.log(`  unwound: ${step.unwound.map(fmtBook).join(", ")}`);
    if (step.posted.length === 0) console.log("  posted: none");
    for (const o of step.posted) {
      console.log(
        `  posted ${o.offerHash}: node ${o.offer.node}, ${o.offer.direction === 0 ? "raise" : "lower"} ${fmtKwh(o.offer.amountWh)} kWh ` +
          `for ${fmtUsd(o.offer.usd)} USD in period ${o.offer.period}`,
      );
    }
    for (const d of step.dropped) console.log(`  dropped: ${d}`);
    for (const problem of step.problems) console.log(`  note: ${problem}`);
    const gas = step.transactions.reduce((s, t) => s + t.gasUsed, 0n);
    console.log(`  ${step.transactions.length} transaction(s), ${gas} gas`);
  },
);

interface OffersArgs {
  open: boolean;
  json: boolean;
}

gridswapTask<OffersArgs>(
  "offers",
  "Lists the bulletin board decoded: hash, status, direction, kWh, USD, USD/kWh, node, period, deadline, filled",
  [
    { name: "open", description: "Only the offers still open", flag: true },
    { name: "json", description: "One JSON object per offer (amounts in Wh and 1e-8 USD as strings)", flag: true },
  ],
  async (args, hre) => {
    const c = await connectDeployment(hre);
    const { readMarketEvents } = await chain(hre);
    const { offerStruct, toJsonObject } = await chain(hre);
    const { OfferStatus, Direction, enumName } = await chain(hre);
    const { filledWhByOffer } = await chain(hre);
    const events = await readMarketEvents(c.contracts.market, c.file.deployBlock);
    // Filled: from the offer's Filled events (a whole fill leaves the market's partial-fill counter at 0).
    const filled = filledWhByOffer(events.fills);
    const rows: string[][] = [];
    for (const o of events.offers) {
      const [statusRaw] = await c.contracts.market.offerStatus(offerStruct(o.offer));
      const filledWh = filled.get(o.offerHash) ?? 0n;
      const status = enumName(OfferStatus, statusRaw, "OfferStatus");
      if (args.open && status !== "Open") continue;
      if (args.json) {
        console.log(
          JSON.stringify({
            offerHash: o.offerHash,
            status,
            filledWh: filledWh.toString(),
            offer: toJsonObject(o.offer),
            signature: o.signature,
          }),
        );
        continue;
      }
      const kwh = whToKwh(o.offer.amountWh);
      rows.push([
        o.offerHash,
        status,
        enumName(Direction, o.offer.direction, "Direction"),
        fmtKwh(o.offer.amountWh),
        fmtUsd(o.offer.usd),
        (unitsToUsd(o.offer.usd) / kwh).toFixed(6),
        String(o.offer.node),
        String(o.offer.period),
        isoTime(o.offer.deadline),
        fmtKwh(filledWh),
      ]);
    }
    if (args.json) return;
    if (rows.length === 0) {
      console.log(args.open ? "no open offers" : "no offers posted yet");
      return;
    }
    printTable(
      ["offer", "status", "direction", "kWh", "USD", "USD/kWh", "node", "period", "deadline", "filled kWh"],
      rows,
      new Set(["kWh", "USD", "USD/kWh", "node", "period", "filled kWh"]),
    );
  },
);

interface FillArgs extends WalletArgs {
  offer?: string;
  kwh?: string;
  plannedKwh?: string;
}

gridswapTask<FillArgs>(
  "fill",
  "Fills an offer from a generator's wallet (its kWh commitment from the vault, deposited when short)",
  [
    { name: "offer", description: "The offer's hash (gridswap:offers)" },
    { name: "kwh", description: "kWh to fill (default: what is left, up to the offer's largest fill)" },
    {
      name: "plannedKwh",
      description:
        "Your planned output in the delivery period without the trade, kWh: the baseline you are measured against " +
        "(required for a Nominated offer on your first fill of a period; later fills repeat it)",
    },
    ...WALLET_OPTIONS,
  ],
  async (args, hre) => {
    const offerHash = (args.offer ?? "").trim();
    if (offerHash === "") fail("--offer is required: the offer's hash (see gridswap:offers)");
    if (!/^0x[0-9a-fA-F]{64}$/.test(offerHash))
      fail(`--offer: '${offerHash}' is not an offer hash (0x + 64 hex digits)`);
    const requestedWh = args.kwh === undefined ? undefined : parseUnitsExact(args.kwh, "--kwh", "kWh", 3, MAX_KWH_WH);
    const plannedWh =
      args.plannedKwh === undefined
        ? undefined
        : parseUnitsExact(args.plannedKwh, "--planned-kwh", "kWh", 3, 2n ** 63n - 1n, true);
    const c = await connectDeployment(hre);
    const { market, registry, kwh } = c.contracts;
    const { queryLogs, filledWh: sumFilled } = await chain(hre);
    const { offerFromStruct, offerStruct } = await chain(hre);
    const { OfferStatus, Asset, enumName } = await chain(hre);
    const postings = await queryLogs(market, market.filters.OfferPosted(offerHash), c.file.deployBlock);
    const posted = postings[0] && {
      offer: offerFromStruct(postings[0].args.offer),
      signature: postings[0].args.signature,
    };
    const fills = (await queryLogs(market, market.filters.Filled(offerHash), postings[0]?.blockNumber ?? 0)).map(
      (f) => ({ amountWh: f.args.details.amountWh }),
    );
    if (!posted) fail(`--offer ${offerHash}: no such offer was posted on this market (see gridswap:offers)`);
    const { offer, signature } = posted;
    const [statusRaw] = await market.offerStatus(offerStruct(offer));
    const status = enumName(OfferStatus, statusRaw, "OfferStatus");
    if (status !== "Open") fail(`offer ${offerHash} is ${status}, not open`);
    const filledWh = sumFilled(fills); // from its Filled events, as gridswap:offers shows it
    const wallet = await walletFrom(hre, args, "GENERATOR");
    const address = await wallet.getAddress();
    await requireGas(hre, address, "the generator");
    if (offer.generator !== hre.ethers.ZeroAddress && offer.generator.toLowerCase() !== address.toLowerCase()) {
      fail(`offer ${offerHash} is reserved for ${offer.generator}, not ${address}`);
    }
    const [nodeRaw, , capacityW] = await registry.generatorOf(address);
    const node = Number(nodeRaw);
    if (node !== offer.node) {
      fail(
        `wallet ${address} is ${node === 0 ? "not a registered generator" : `registered at node ${node}`}; the offer is for node ${offer.node}`,
      );
    }
    const terms = await market.terms();
    const closesAt = Math.min(
      offer.deadline,
      offer.period * c.file.periodSeconds - Number(terms.gateClosureSeconds) - 1,
    );
    const now = (await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
    if (now > closesAt)
      fail(`offer ${offerHash} closed for fills at ${isoTime(closesAt)} (chain time ${isoTime(now)})`);
    const left = offer.amountWh - filledWh;
    const largest = left < offer.maxFillWh ? left : offer.maxFillWh;
    const amountWh = requestedWh ?? largest;
    if (amountWh > largest)
      fail(`--kwh ${fmtKwh(amountWh)}: at most ${fmtKwh(largest)} kWh can be filled (${fmtKwh(left)} left)`);
    const minimum = offer.minFillWh < left ? offer.minFillWh : left;
    if (amountWh < minimum) fail(`--kwh ${fmtKwh(amountWh)}: the offer's smallest fill is ${fmtKwh(minimum)} kWh`);
    // The nomination: the book's when this wallet already committed in the period, else --planned-kwh.
    const { BaselineMethod, BookState } = await chain(hre);
    const book = await market.bookOf(address, offer.period);
    let nominatedWh = 0n;
    if (offer.baseline === BaselineMethod.Nominated) {
      if (Number(book.state) === BookState.Open) {
        nominatedWh = book.nominatedWh;
        if (plannedWh !== undefined && plannedWh !== nominatedWh)
          fail(
            `--planned-kwh ${fmtKwh(plannedWh)}: your commitment in period ${offer.period} already nominates ${fmtKwh(nominatedWh)} kWh`,
          );
      } else {
        if (plannedWh === undefined)
          fail(
            `--planned-kwh is required: your planned output in period ${offer.period} without the trade, the baseline you are measured against`,
          );
        const maxWh = periodEnergyWh(capacityW, c.file.periodSeconds);
        if (plannedWh > maxWh)
          fail(
            `--planned-kwh ${fmtKwh(plannedWh)}: above your registered capacity over a period (${fmtKwh(maxWh)} kWh)`,
          );
        nominatedWh = plannedWh;
      }
    } else if (plannedWh !== undefined) {
      fail(`--planned-kwh: the offer's baseline is measured from your meter's history, not nominated`);
    }
    const marketAddress = await market.getAddress();
    const [, freeWh] = await market.balancesOf(address);
    if (freeWh < amountWh) {
      const missing = amountWh - freeWh;
      const held = await kwh.balanceOf(address);
      if (held < missing) {
        fail(
          `${address} has ${fmtKwh(freeWh)} kWh free in the vault and ${fmtKwh(held)} in its wallet: needs ${fmtKwh(amountWh)} (gridswap:issue)`,
        );
      }
      if ((await kwh.allowance(address, marketAddress)) < missing)
        await sent(kwh.connect(wallet).approve(marketAddress, missing));
      await sent(market.connect(wallet).deposit(Asset.Kwh, missing));
      console.log(`deposited ${fmtKwh(missing)} kWh of commitment into the vault`);
    }
    const tx = await (await market.connect(wallet).fill(offerStruct(offer), signature, amountWh, nominatedWh)).wait();
    if (!tx) fail("the fill transaction was dropped (no receipt)");
    const [filled] = (await chain(hre)).eventsIn(market, tx, "Filled");
    const details = filled?.args.details as { amountWh: bigint; usd: bigint; bookCommittedWh: bigint } | undefined;
    const takenWh = details?.amountWh ?? amountWh;
    console.log(
      `filled ${fmtKwh(takenWh)} kWh of offer ${offerHash} from ${address}: commits to ${offer.direction === 0 ? "raise" : "lower"} ` +
        `output in period ${offer.period} for ${fmtUsd(details?.usd ?? 0n)} USD on full delivery; ` +
        `commitment in the period ${fmtKwh(details?.bookCommittedWh ?? takenWh)} kWh against a nominated ` +
        `${fmtKwh(nominatedWh)} kWh (tx ${tx.hash}, ${tx.gasUsed} gas)`,
    );
  },
);
