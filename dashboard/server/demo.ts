/**
 * `npm run dashboard -- --demo`: a whole GridSwap market on Hardhat's in-process network behind
 * the dashboard, so a new user sees everything with one command.
 *
 * The world (oracle/agents/world.ts) runs the centre agent and one generator agent per redispatch
 * unit but one: the unit at `personNode` belongs to a devnet wallet the person drives from the
 * dashboard's generator view (its key is shown there; it is a throw-away chain). A background
 * loop advances one period every `tickSeconds` of wall time, in two phases:
 *
 *   deliver(D): the centre settles near the end of the period before D; the chain moves into D;
 *               every unit delivers its planned output (the case's schedule at its node: what it
 *               nominates) plus its book for D (market.bookOf, whoever filled — agent or person);
 *               the meters record it and D's load flow is solved with the outputs as they ran;
 *   open():     the centre's step in D (report D with measurements and pushed settlements,
 *               study D+1, post its offers); the agents poll and fill.
 *
 * Between ticks the chain stands inside period D with D+1's offers open, which is the window in
 * which a person fills from the dashboard. (MarketSimulation.runPeriod does both phases in one
 * call, crossing the gate before anyone could act; its delivery only counts fills its own
 * agents made. The steps here are the same, in two halves, with books from the chain.)
 *
 * Every tick rewrites periods.json and summary.json in the results directory (records in
 * dashboard/shared/types.ts), which the server then serves like any published results.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEther, type Provider, type Signer, type Wallet } from "ethers";
import { GEN } from "../../oracle/grid/case/columns";
import { loadCase } from "../../oracle/grid/case/load";
import type { PowerCase } from "../../oracle/grid/case/types";
import { checkLimits } from "../../oracle/grid/limits/checks";
import { runPowerFlow } from "../../oracle/grid/pf/runpf";
import { applyForecasts } from "../../oracle/market/period";
import { advanceDevChain, chainNow, type RawRpc } from "../../oracle/chain/clock";
import { deploymentAddresses, seedGridSwap } from "../../oracle/chain/deploy";
import { writeDeployment, type DeploymentFile } from "../../oracle/chain/deployments";
import { BookState, Direction } from "../../oracle/chain/enums";
import { bookFromStruct } from "../../oracle/chain/market-data";
import { formatUnits, KWH_DECIMALS, kwhToWh } from "../../oracle/chain/units";
import type { CentreStep } from "../../oracle/agents/centre";
import { meanPowerMwToWh } from "../../oracle/agents/metering";
import { unitRowAt } from "../../oracle/agents/simulation";
import { buildWorld, worldWallet, type World } from "../../oracle/agents/world";
import type { DemoInfo, DemoStatus, PeriodRecord } from "../shared/types";
import { loadFlowRecord, studyRecord, violationsRecord } from "./records";
import { writeResults } from "./results";

export interface DemoOptions {
  readonly provider: Provider & RawRpc;
  /** Pays for the deployment and every account's gas (Hardhat's first account). */
  readonly funder: Signer;
  readonly casePath: string;
  /** Where periods.json, summary.json and deployment.json are written. */
  readonly resultsDir: string;
  /** Wall seconds between periods. */
  readonly tickSeconds: number;
  /** The unit the person drives (default: the first redispatch unit's node). */
  readonly personNode?: number;
  readonly seed?: string;
  /** Seconds into a period at which the centre and the agents act (as MarketSimulation: 5). */
  readonly offsetSeconds?: number;
  readonly log?: (line: string) => void;
}

interface Unit {
  readonly address: string;
  readonly node: number;
  readonly meter: Wallet;
  /** Its planned output in a period without a trade, MW: what it nominates and produces untraded. */
  readonly plannedMW: (period: number) => number;
}

export class DemoMarket {
  readonly deploymentPath: string;
  private readonly records = new Map<number, PeriodRecord>();
  private last?: CentreStep;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private state: { paused: boolean; ticks: number; nextTickAt?: number; error?: string } = { paused: false, ticks: 0 };
  private stopped = false;

  private constructor(
    private readonly o: DemoOptions,
    private readonly world: World,
    private readonly powerCase: PowerCase,
    private readonly units: readonly Unit[],
    readonly info: DemoInfo,
    readonly deployment: DeploymentFile,
  ) {
    this.deploymentPath = join(o.resultsDir, "deployment.json");
    writeDeployment(deployment, this.deploymentPath);
  }

  /** Deploys and seeds the world, registers the person's generator and runs the first period's opening. */
  static async create(o: DemoOptions): Promise<DemoMarket> {
    const log = o.log ?? (() => undefined);
    const powerCase = loadCase(o.casePath);
    const op = powerCase.operation;
    if (!op || op.units.length === 0) throw new Error(`${o.casePath}: the demo needs a case with redispatch units`);
    const nodeOf = (gen: number): number => powerCase.gen[gen - 1][GEN.GEN_BUS];
    const unitNodes = op.units.map((u) => nodeOf(u.gen));
    const personNode = o.personNode ?? unitNodes[0];
    if (!unitNodes.includes(personNode)) {
      throw new Error(`--demo-node ${personNode}: the case's redispatch units are at nodes ${unitNodes.join(", ")}`);
    }
    const seed = o.seed ?? "gridswap-dashboard";
    const world = await buildWorld({
      provider: o.provider,
      funder: o.funder,
      case: powerCase,
      caseText: readFileSync(o.casePath, "utf8"),
      generators: unitNodes.filter((n) => n !== personNode).map((node) => ({ node })),
      seed,
      log: (line) => log(`centre: ${line}`),
      generatorLog: (address, line) => log(`generator ${address.slice(0, 8)}: ${line}`),
    });
    // The person's generator: the unit at its node, registered with its meter key and the unit's
    // output capacity (bounding its nominations), kWh capacity issued and part of it in the vault.
    const schedule = applyForecasts(powerCase, {});
    const personRow = unitRowAt(powerCase, personNode);
    const personPlannedMW = schedule.gen[personRow][GEN.PG];
    const person = worldWallet(seed, "dashboard-generator", o.provider);
    const personMeter = worldWallet(seed, "dashboard-meter", o.provider);
    await (await o.funder.sendTransaction({ to: person.address, value: parseEther("10") })).wait();
    await seedGridSwap(world.contracts, world.accounts, {
      generators: [
        {
          signer: person,
          node: personNode,
          meterKey: personMeter.address,
          capacityW: Math.round(powerCase.gen[personRow][GEN.PMAX] * 1e6),
          issueWh: kwhToWh(500),
          depositWh: kwhToWh(100),
        },
      ],
    });
    const { chainId } = await o.provider.getNetwork();
    const deployment: DeploymentFile = {
      network: "hardhat (in-process, dashboard demo)",
      chainId: Number(chainId),
      deployedAt: new Date().toISOString(),
      deployBlock: world.deployBlock,
      periodSeconds: world.periodSeconds,
      addresses: await deploymentAddresses(world.contracts),
    };
    const units: Unit[] = [
      ...world.generators.map((g) => ({
        address: g.wallet.address,
        node: g.node,
        meter: g.meter,
        plannedMW: g.plannedMW,
      })),
      { address: person.address, node: personNode, meter: personMeter, plannedMW: () => personPlannedMW },
    ];
    const info: DemoInfo = {
      generators: [
        {
          label: `your generator at node ${personNode}`,
          address: person.address,
          node: personNode,
          privateKey: person.privateKey,
          plannedKwh: formatUnits(meanPowerMwToWh(personPlannedMW, world.periodSeconds), KWH_DECIMALS),
        },
      ],
      agents: world.generators.map((g) => ({ address: g.wallet.address, node: g.node })),
      centre: world.accounts.centre.address,
      tickSeconds: o.tickSeconds,
    };
    log(
      `demo: deployed at block ${world.deployBlock}; agents at nodes ${info.agents.map((a) => a.node).join(", ")}; your generator ${person.address} at node ${personNode}`,
    );
    return new DemoMarket({ ...o, resultsDir: resolve(o.resultsDir) }, world, powerCase, units, info, deployment);
  }

  status(): DemoStatus {
    return {
      paused: this.state.paused,
      busy: this.running !== undefined,
      period: this.last?.period,
      deliveryPeriod: this.last?.deliveryPeriod,
      nextTickAt: this.state.nextTickAt,
      ticks: this.state.ticks,
      error: this.state.error,
    };
  }

  /** Runs the first period now and then one every tickSeconds. */
  async start(): Promise<void> {
    await this.step();
  }

  pause(): void {
    this.state.paused = true;
    this.clearTimer();
  }

  resume(): void {
    if (!this.state.paused) return;
    this.state.paused = false;
    if (!this.running) this.schedule();
  }

  /** Runs the next period now (waits for one in progress first). Resolves when it is done. */
  async step(): Promise<void> {
    this.clearTimer();
    if (this.running) await this.running;
    if (this.stopped) return;
    this.running = this.tick().finally(() => {
      this.running = undefined;
      if (!this.state.paused && !this.stopped) this.schedule();
    });
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    if (this.running) await this.running;
  }

  private schedule(): void {
    this.clearTimer();
    this.state.nextTickAt = Date.now() + this.o.tickSeconds * 1000;
    this.timer = setTimeout(() => void this.step(), this.o.tickSeconds * 1000);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state.nextTickAt = undefined;
  }

  private async tick(): Promise<void> {
    const log = this.o.log ?? (() => undefined);
    try {
      if (this.last) await this.deliver(this.last.deliveryPeriod);
      else
        await this.advanceTo(
          (Math.floor((await chainNow(this.o.provider)) / this.periodSeconds) + 1) * this.periodSeconds + this.offset,
        );
      await this.open();
      this.state.error = undefined;
    } catch (e) {
      this.state.error = e instanceof Error ? e.message : String(e);
      log(`demo: period failed (will try again next tick): ${this.state.error}`);
    }
    this.state.ticks++;
    this.write();
  }

  private get periodSeconds(): number {
    return this.world.periodSeconds;
  }

  private get offset(): number {
    return this.o.offsetSeconds ?? 5;
  }

  /** Moves chain time forward to `t` (never back: a long pause may have carried it past already). */
  private async advanceTo(t: number): Promise<void> {
    if (t > (await chainNow(this.o.provider))) await advanceDevChain(this.o.provider, t);
  }

  /** The centre's step in the current period and the agents' polls. */
  private async open(): Promise<void> {
    const step = await this.world.centre.step();
    for (const g of this.world.generators) await g.agent.poll();
    this.last = step;
    if (step.study) {
      const D = step.deliveryPeriod;
      const schedule = applyForecasts(this.powerCase, {});
      this.put({ ...this.base(D), ...this.records.get(D), study: studyRecord(schedule, step.study, step.period) });
    }
    (this.o.log ?? (() => undefined))(
      `demo: period ${step.period}: reported ${step.reported}, ${step.measurements.length} measurement(s), ` +
        `${step.settled.length} settled, ${step.posted.length} offer(s) posted for period ${step.deliveryPeriod}` +
        (step.problems.length > 0 ? `; ${step.problems.join("; ")}` : ""),
    );
  }

  /** Late settlement, then delivery period D as it runs: meters and the load flow with actual outputs. */
  private async deliver(D: number): Promise<void> {
    const T = this.periodSeconds;
    await this.advanceTo(D * T - this.offset);
    await this.world.centre.settle();
    await this.advanceTo(D * T + this.offset);

    const schedule = applyForecasts(this.powerCase, {});
    const gen = schedule.gen.map((row) => [...row]);
    const hours = T / 3600;
    const delivery = [];
    for (const u of this.units) {
      const row = unitRowAt(schedule, u.node);
      const plannedMW = u.plannedMW(D);
      // Its book for D, whoever filled it; every unit delivers what it committed (whole Wh, as
      // meters and the chain count).
      const book = bookFromStruct(u.address, await this.world.contracts.market.bookOf(u.address, D));
      const committedWh =
        book.state === BookState.None
          ? 0n
          : book.direction === Direction.Increase
            ? book.committedWh
            : -book.committedWh;
      const actualMW = plannedMW + Number(committedWh) / 1e6 / hours;
      if (row >= 0) gen[row][GEN.PG] = actualMW;
      await this.world.meters.record(u.meter, u.address, D, meanPowerMwToWh(plannedMW, T) + committedWh, (D + 1) * T);
      delivery.push({
        address: u.address,
        node: u.node,
        scheduledMW: plannedMW,
        committedMW: Number(committedWh) / 1e6 / hours,
        actualMW,
      });
    }
    const ran = { ...schedule, gen };
    const loadFlow = runPowerFlow(ran);
    this.put({
      ...this.base(D),
      ...this.records.get(D),
      actual: { loadFlow: loadFlowRecord(loadFlow), violations: violationsRecord(checkLimits(ran, loadFlow)) },
      delivery,
    });
  }

  private base(period: number): PeriodRecord {
    return {
      case: this.powerCase.name,
      period,
      start: period * this.periodSeconds,
      end: (period + 1) * this.periodSeconds,
    };
  }

  private put(r: PeriodRecord): void {
    this.records.set(r.period, r);
  }

  private write(): void {
    writeResults(this.o.resultsDir, [...this.records.values()], {
      case: this.powerCase.name,
      caseFile: resolve(this.o.casePath),
      writer: "gridswap dashboard --demo",
      chainId: this.deployment.chainId,
      periodSeconds: this.periodSeconds,
      periods: this.records.size,
      firstPeriod: this.records.size > 0 ? Math.min(...this.records.keys()) : null,
      lastPeriod: this.records.size > 0 ? Math.max(...this.records.keys()) : null,
      updatedAt: new Date().toISOString(),
    });
  }
}
