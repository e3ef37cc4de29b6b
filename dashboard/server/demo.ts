/**
 * `npm run dashboard -- --demo`: a whole GridSwap market on Hardhat's in-process network behind
 * the dashboard, so a new user sees everything with one command.
 *
 * The world (oracle/agents/world.ts) runs the centre agent and one generator agent per redispatch
 * unit but one: the unit at `personNode` belongs to a devnet wallet the person drives from the
 * dashboard's generator view (its key is shown there; it is a throw-away chain). A background
 * loop advances one period every `tickSeconds` of wall time through the period pipeline
 * (oracle/agents/pipeline.ts), in its two halves:
 *
 *   deliver(D): the centre settles near the end of the period before D; the chain moves into D;
 *               every unit — the agents' and the person's — delivers its planned output (the
 *               case's schedule at its node: what it nominates) plus its book for D, whoever
 *               filled it; the meters record it and D's load flow is solved as it ran;
 *   open():     the centre's step in D (report D with measurements and pushed settlements,
 *               study D+1, post its offers); the operators and the agents act and fill.
 *
 * Between ticks the chain stands inside period D with D+1's offers open, which is the window in
 * which a person fills from the dashboard (PeriodPipeline.run runs both halves in one call,
 * crossing the gate before anyone could act).
 *
 * The agents bid their flexibility (docs/bids.md): the world has a bid book, and each agent bids
 * from a policy drawn from the seed as the day simulation's generators do (day-generators.ts,
 * bidPlan: its unit's prices with noise, some with a strategic markup), so the market page shows
 * sealed counts, revealed bids and the centre's selections. The person's unit does not bid: it
 * keeps the operation data's terms, its offers open to it as before.
 *
 * Every tick rewrites periods.json and summary.json in the results directory: the pipeline's
 * record writer (period-recorder.ts) keeps the one period record (day-record.ts) of each
 * delivery period, which the server then serves like any published results.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEther, type Provider, type Signer } from "ethers";
import { GEN } from "../../oracle/grid/case/columns";
import { loadCase } from "../../oracle/grid/case/load";
import type { PowerCase } from "../../oracle/grid/case/types";
import { applyForecasts } from "../../oracle/market/period";
import type { RawRpc } from "../../oracle/chain/clock";
import { deploymentAddresses, seedGridSwap } from "../../oracle/chain/deploy";
import { writeDeployment, type DeploymentFile } from "../../oracle/chain/deployments";
import { formatUnits, KWH_DECIMALS, kwhToWh } from "../../oracle/chain/units";
import type { CentreStep } from "../../oracle/agents/centre";
import { meanPowerMwToWh } from "../../oracle/agents/metering";
import {
  fullDelivery,
  type OpenedPeriod,
  type PeriodPipeline,
  type SimulatedGenerator,
} from "../../oracle/agents/pipeline";
import { unitRowAt } from "../../oracle/agents/simulation";
import { bidPlan } from "../../oracle/agents/day-generators";
import { SeededRandom } from "../../oracle/market/random";
import { recordPeriod } from "../../oracle/agents/day-record";
import { PeriodRecorder, scheduleConditions } from "../../oracle/agents/period-recorder";
import { buildWorld, worldWallet, type World } from "../../oracle/agents/world";
import type { DemoInfo, DemoStatus } from "../shared/types";
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
  /** Seconds into a period at which the centre and the agents act (default 5, as the pipeline's). */
  readonly offsetSeconds?: number;
  readonly log?: (line: string) => void;
}

export class DemoMarket {
  readonly deploymentPath: string;
  /** The pipeline's record writer: each delivery period's record, studied then delivered. */
  private readonly recorder: PeriodRecorder;
  private readonly pipeline: PeriodPipeline;
  private last?: CentreStep;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private state: { paused: boolean; ticks: number; nextTickAt?: number; error?: string } = { paused: false, ticks: 0 };
  private stopped = false;

  private constructor(
    private readonly o: DemoOptions,
    private readonly world: World,
    private readonly powerCase: PowerCase,
    person: SimulatedGenerator,
    readonly info: DemoInfo,
    readonly deployment: DeploymentFile,
  ) {
    this.recorder = new PeriodRecorder({
      case: powerCase,
      periodSeconds: world.periodSeconds,
      conditions: (deliveryPeriod) => scheduleConditions(powerCase, deliveryPeriod, world.periodSeconds),
      bidBook: world.bidBook?.book,
      // The person's fills from the page count too: the record recounts each period's from the chain.
      fills: { market: world.contracts.market, fromBlock: world.deployBlock },
    });
    this.pipeline = world.pipeline.with({
      generators: [...world.generators, person],
      offsetSeconds: o.offsetSeconds,
      sinks: [this.recorder, { opened: (p) => this.opened(p) }],
    });
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
    const random = new SeededRandom(seed);
    const world = await buildWorld({
      provider: o.provider,
      funder: o.funder,
      case: powerCase,
      caseText: readFileSync(o.casePath, "utf8"),
      generators: op.units.flatMap((unit, i) => {
        const node = nodeOf(unit.gen);
        if (node === personNode) return [];
        return [{ node, bid: bidPlan({ genRow: unit.gen, node, unit }, random, i)?.policy }];
      }),
      bids: {},
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
      addresses: {
        ...(await deploymentAddresses(world.contracts)),
        ...(world.bidBook && { bids: await world.bidBook.book.getAddress() }),
      },
    };
    // The person's unit delivers what it committed; the dashboard acts for it (no agent).
    const personUnit: SimulatedGenerator = {
      address: person.address,
      meter: personMeter,
      node: personNode,
      behaviour: fullDelivery,
      plannedMW: () => personPlannedMW,
    };
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
    return new DemoMarket({ ...o, resultsDir: resolve(o.resultsDir) }, world, powerCase, personUnit, info, deployment);
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
      if (this.last) await this.pipeline.deliver(this.last.deliveryPeriod);
      else await this.pipeline.startPeriod();
      this.last = (await this.pipeline.open()).centre;
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

  /** After the centre's step and the fills: what it did, in the log. */
  private opened({ centre: step }: OpenedPeriod): void {
    (this.o.log ?? (() => undefined))(
      `demo: period ${step.period}: reported ${step.reported}, ${step.measurements.length} measurement(s), ` +
        `${step.settled.length} settled, ${step.posted.length} offer(s) posted for period ${step.deliveryPeriod}` +
        (step.problems.length > 0 ? `; ${step.problems.join("; ")}` : ""),
    );
  }

  private write(): void {
    const records = this.recorder.all();
    const periods = records.map(recordPeriod);
    writeResults(this.o.resultsDir, records, {
      case: this.powerCase.name,
      caseFile: resolve(this.o.casePath),
      writer: "gridswap dashboard --demo",
      chainId: this.deployment.chainId,
      periodSeconds: this.periodSeconds,
      periods: records.length,
      firstPeriod: periods.length > 0 ? Math.min(...periods) : null,
      lastPeriod: periods.length > 0 ? Math.max(...periods) : null,
      updatedAt: new Date().toISOString(),
    });
  }
}
