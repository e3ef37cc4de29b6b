/**
 * The market's tasks: gridswap:period (one step of the power quality centre and its oracle),
 * gridswap:offers (the bulletin board, decoded) and gridswap:accept (a generator's wallet).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  accountAt,
  action,
  connectDeployment,
  fail,
  isoTime,
  parseInteger,
  revertOf,
  sent,
  STATUS,
  walletFrom,
  type WalletArgs,
} from "./common";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * The generator policy `gridswap:accept` prints as advice (the demo's generator): 0.01 USD/kWh of
 * cost plus 0.002 of margin, at most 50 kWh per period. The address and node are the wallet's.
 */
export const DEFAULT_POLICY = { costUsdPerKwh: 0.01, marginUsdPerKwh: 0.002, capacityKwh: 50 } as const;

/** `--forecast 34=0.5183,27=0.1` → { "34": 0.5183, "27": 0.1 } (Hardhat lets each option appear once). */
export function parseForecasts(value: string | undefined): Record<string, number> {
  const generation: Record<string, number> = {};
  if (value === undefined || value.trim() === "") return generation;
  for (const item of value.split(/[\s,]+/).filter((s) => s !== "")) {
    const m = /^(\d+)=(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/.exec(item);
    if (!m) fail(`--forecast: '${item}' is not BUS=MW with MW ≥ 0 (e.g. 34=0.5183; several: 34=0.5,27=0.1)`);
    if (m[1] in generation) fail(`--forecast: bus ${m[1]} is given twice`);
    generation[m[1]] = Number(m[2]);
  }
  return generation;
}

/** The oracle or centre signer: --<role>-index, else the key in <ROLE>_KEY, else dev account `fallback`. */
async function roleSigner(
  hre: HardhatRuntimeEnvironment,
  index: string | undefined,
  role: "oracle" | "centre",
  keyEnv: string,
  fallback: number,
) {
  const flag = `--${role}-index`;
  if (index !== undefined && index !== "") {
    return accountAt(hre, parseInteger(index, flag, "an account index"), flag);
  }
  if (process.env[keyEnv] !== undefined && process.env[keyEnv] !== "") {
    const { loadWallet } = await import("../oracle/chain/wallet");
    return loadWallet({ privateKeyEnv: keyEnv }, hre.ethers.provider);
  }
  const signers = await hre.ethers.getSigners();
  if (fallback >= signers.length) {
    fail(
      `no ${role} signer: set ${keyEnv} or pass ${flag} (network '${hre.network.name}' has ${signers.length} account(s))`,
    );
  }
  return signers[fallback];
}

interface PeriodArgs {
  case?: string;
  forecast?: string;
  oracleIndex?: string;
  centreIndex?: string;
}

task("gridswap:period", "Runs one period of the centre: load flow, report, settle measured offers, publish offers")
  .addOptionalParam("case", "Case file with operation data (JSON or MATPOWER)", "cases/seed34.json")
  .addOptionalParam("forecast", "Unit output forecasts, BUS=MW, comma-separated (e.g. 34=0.5183,27=0.1)")
  .addOptionalParam("oracleIndex", "Account index of the oracle signer (default: key in ORACLE_KEY, else account 1)")
  .addOptionalParam("centreIndex", "Account index of the centre signer (default: key in CENTRE_KEY, else account 2)")
  .setAction(
    action<PeriodArgs>(async (args, hre) => {
      const casePath = resolve(args.case ?? "cases/seed34.json");
      if (!existsSync(casePath)) fail(`--case: no such file ${casePath}`);
      const generation = parseForecasts(args.forecast);
      const { contracts: c } = await connectDeployment(hre);
      const oracleSigner = await roleSigner(hre, args.oracleIndex, "oracle", "ORACLE_KEY", 1);
      const centreSigner = await roleSigner(hre, args.centreIndex, "centre", "CENTRE_KEY", 2);
      const oracleAddress = await oracleSigner.getAddress();
      const centre = await centreSigner.getAddress();
      if (!(await c.oracle.hasRole(await c.oracle.ORACLE_ROLE(), oracleAddress))) {
        fail(
          `${oracleAddress} does not hold ORACLE_ROLE on the oracle: pick the oracle's account (--oracle-index or ORACLE_KEY)`,
        );
      }
      const threshold = await c.oracle.threshold();
      if (threshold > 1n)
        fail(`the oracle needs ${threshold} signatures per report; this task submits with one oracle account`);
      if (!(await c.market.hasRole(await c.market.CENTRE_ROLE(), centre))) {
        fail(
          `${centre} does not hold CENTRE_ROLE on the market: pick the centre's account (--centre-index or CENTRE_KEY)`,
        );
      }

      const { loadCase } = await import("../oracle");
      const { CentreAgent } = await import("../oracle/agents/agents");
      const { PERIOD_SECONDS, USD_DECIMALS } = await import("../oracle/chain/units");
      const powerCase = loadCase(casePath);
      const caseText = readFileSync(casePath, "utf8");

      // The centre escrows USD when it publishes: let the market take it.
      const market = await c.market.getAddress();
      const usdBalance = await c.usd.balanceOf(centre);
      const allowance = await c.usd.allowance(centre, market);
      if (allowance === 0n || allowance < usdBalance) {
        await sent(c.usd.connect(centreSigner).approve(market, hre.ethers.MaxUint256));
        console.log(`centre ${centre} approved the market to escrow its USD`);
      }

      const agent = new CentreAgent({
        contracts: c,
        oracleSigner,
        centreSigner,
        case: powerCase,
        caseText,
        forecasts: () => ({ generation }),
        log: (line) => console.log(`  ${line}`),
      });
      let step: Awaited<ReturnType<typeof agent.step>>;
      try {
        step = await agent.step();
      } catch (e) {
        // oracle/chain/retry.ts may rewrap the revert as "still failing after N attempts: …" (the
        // message then keeps the error's name but not its data): match both.
        const name = (await revertOf(e))?.name;
        if (name === "ERC20InsufficientBalance" || /ERC20InsufficientBalance/.test(String((e as Error)?.message))) {
          const held = hre.ethers.formatUnits(await c.usd.balanceOf(centre), USD_DECIMALS);
          fail(
            `the centre ${centre} holds ${held} USD, too little to escrow this period's offers: ` +
              `gridswap:mint --to ${centre}, then run gridswap:period again within the period (it resumes where the chain is)`,
          );
        }
        throw e;
      }

      const lines = step.result?.violations.lines ?? [];
      console.log(
        `period ${step.period} (${isoTime(step.period * PERIOD_SECONDS)} to ${isoTime((step.period + 1) * PERIOD_SECONDS)}), oracle ${oracleAddress}, centre ${centre}`,
      );
      console.log(
        `  load flow: ${lines.length === 0 ? "no line over its limit" : `${lines.length} line(s) over their limits`}`,
      );
      for (const v of lines) {
        console.log(
          `    line ${v.from}-${v.to} (${v.kind}): ${v.value.toFixed(4)} vs limit ${v.limit.toFixed(2)}, deviation ${v.deviation.toFixed(4)}`,
        );
      }
      console.log(`  report: ${step.reported ? "submitted" : "already on chain, not resubmitted"}`);
      for (const d of step.deliveries) {
        console.log(`  measured delivery: ${d.generator} in period ${d.period}: ${d.adjustmentKwh} kWh`);
      }
      console.log(`  settled: ${step.settled.length === 0 ? "none" : step.settled.map((id) => `#${id}`).join(", ")}`);
      console.log(
        `  published: ${step.published.length === 0 ? "none" : step.published.map((id) => `#${id}`).join(", ")}`,
      );
    }),
  );

interface OffersArgs {
  open: boolean;
}

task("gridswap:offers", "Lists the offers on the bulletin board, decoded (events + getOffer)")
  .addFlag("open", "Only the offers still open")
  .setAction(
    action<OffersArgs>(async (args, hre) => {
      const { contracts: c } = await connectDeployment(hre);
      const { readOffers } = await import("../oracle/chain/generator");
      const offers = await readOffers(c.market);
      const rows: string[][] = [];
      for (const o of offers) {
        const stored = await c.market.getOffer(o.id);
        const status = STATUS[Number(stored.status)] ?? `status ${stored.status}`;
        if (args.open && status !== "Open") continue;
        const generator =
          stored.generator !== ZERO_ADDRESS
            ? `${stored.generator}${stored.status === 1n ? " (reserved)" : ""}`
            : `any at node ${o.node}`;
        rows.push([
          `#${o.id}`,
          status,
          o.direction,
          o.kwh.toFixed(3),
          o.usd.toFixed(8),
          (o.usd / o.kwh).toFixed(6),
          String(o.node),
          String(o.period),
          isoTime(o.expiry),
          generator,
        ]);
      }
      if (rows.length === 0) {
        console.log(args.open ? "no open offers" : "no offers published yet");
        return;
      }
      printTable(["id", "status", "direction", "kWh", "USD", "USD/kWh", "node", "period", "expiry", "generator"], rows);
    }),
  );

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const numeric = new Set(["kWh", "USD", "USD/kWh", "node", "period"]);
  const line = (cells: string[]) =>
    cells
      .map((cell, k) => (numeric.has(header[k]) ? cell.padStart(widths[k]) : cell.padEnd(widths[k])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

interface AcceptArgs extends WalletArgs {
  id?: string;
}

task("gridswap:accept", "Accepts an offer from a generator's wallet, escrowing its kWh commitment")
  .addParam("id", "Offer id")
  .addOptionalParam("keyEnv", "Name of the environment variable holding the wallet's private key")
  .addOptionalParam("keystore", "Encrypted JSON keystore of the wallet")
  .addOptionalParam("passwordEnv", "Name of the environment variable holding the keystore's password")
  .addOptionalParam("accountIndex", "Index of one of the network's configured (dev) accounts")
  .setAction(
    action<AcceptArgs>(async (args, hre) => {
      const id = parseInteger(args.id, "--id", "an offer id");
      const { contracts: c } = await connectDeployment(hre);
      const count = await c.market.offerCount();
      if (id === 0 || BigInt(id) > count) {
        fail(
          `offer #${id} does not exist (${count === 0n ? "no offers published yet" : `ids run from 1 to ${count}`})`,
        );
      }
      const wallet = await walletFrom(hre, args);
      const address = await wallet.getAddress();
      const offer = await c.market.getOffer(id);
      const status = STATUS[Number(offer.status)];
      if (status !== "Open") fail(`offer #${id} is ${status}, not open`);
      const now = (await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
      if (now > Number(offer.expiry)) fail(`offer #${id} expired at ${isoTime(offer.expiry)}`);
      if (offer.restricted && offer.generator.toLowerCase() !== address.toLowerCase()) {
        fail(`offer #${id} is reserved for ${offer.generator}, not ${address}`);
      }
      const node = await c.registry.nodeOf(address);
      if (node !== offer.node) {
        fail(
          `wallet ${address} is ${node === 0n ? "not a registered generator" : `registered at node ${node}`}; offer #${id} is for node ${offer.node}`,
        );
      }
      const { decide } = await import("../oracle/chain/generator");
      const { unitsToUsd, whToKwh, KWH_DECIMALS } = await import("../oracle/chain/units");
      const held = await c.kwh.balanceOf(address);
      if (held < offer.kwhAmount) {
        fail(
          `wallet ${address} holds ${hre.ethers.formatUnits(held, KWH_DECIMALS)} kWh; offer #${id} needs ${hre.ethers.formatUnits(offer.kwhAmount, KWH_DECIMALS)} kWh as its commitment (gridswap:issue)`,
        );
      }

      // Advice only: the default policy's decision is printed, the offer is accepted as asked.
      const decision = decide(
        { ...DEFAULT_POLICY, address, node: Number(node) },
        {
          id: BigInt(id),
          centre: offer.centre,
          reservedFor: offer.restricted ? offer.generator : ZERO_ADDRESS,
          node: Number(offer.node),
          direction: offer.direction === 0n ? "increase" : "decrease",
          kwh: whToKwh(offer.kwhAmount),
          usd: unitsToUsd(offer.usdAmount),
          period: Number(offer.period),
          justification: Number(offer.justification),
          expiry: Number(offer.expiry),
        },
        now,
      );
      console.log(
        `advice of the default policy (cost ${DEFAULT_POLICY.costUsdPerKwh} + margin ${DEFAULT_POLICY.marginUsdPerKwh} USD/kWh, ` +
          `at most ${DEFAULT_POLICY.capacityKwh} kWh): ${decision.accept ? "ACCEPT" : "REJECT"} — ${decision.reason}`,
      );
      console.log(
        decision.accept ? "accepting, as asked" : "accepting anyway, as asked: the advice does not decide for you",
      );

      const market = await c.market.getAddress();
      if ((await c.kwh.allowance(address, market)) < offer.kwhAmount) {
        const tx = await sent(c.kwh.connect(wallet).approve(market, offer.kwhAmount));
        console.log(
          `approved the market to take ${hre.ethers.formatUnits(offer.kwhAmount, KWH_DECIMALS)} kWh from ${address} (tx ${tx.hash})`,
        );
      }
      const tx = await sent(c.market.connect(wallet).accept(id));
      console.log(
        `offer #${id} accepted by ${address}: ${hre.ethers.formatUnits(offer.kwhAmount, KWH_DECIMALS)} kWh escrowed as its commitment, ` +
          `${unitsToUsd(offer.usdAmount).toFixed(8)} USD on full delivery in period ${offer.period} (tx ${tx.hash}, ${tx.gas} gas)`,
      );
    }),
  );
