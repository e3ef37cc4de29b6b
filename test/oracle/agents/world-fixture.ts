/**
 * An in-process market for the agents' tests and the agent findings: seed34 on Hardhat's network,
 * built by oracle/agents/world.ts (every role on its own key, generators registered with meter
 * keys), with the agents' log lines collected per account instead of printed.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre from "hardhat";
import { loadCase, type PowerCase } from "../../../oracle";
import { buildWorld, type GeneratorSpec, type World, type WorldOptions } from "../../../oracle/agents/world";

export const SEED34 = join(__dirname, "../../../cases/seed34.json");

export interface TestWorld extends World {
  readonly logs: { centre: string[]; generators: Map<string, string[]> };
  readonly case: PowerCase;
  readonly caseText: string;
  /** A fresh temporary directory (state files). */
  readonly dir: string;
}

export async function testWorld(
  generators: readonly GeneratorSpec[],
  options: Partial<Omit<WorldOptions, "provider" | "funder" | "generators">> = {},
): Promise<TestWorld> {
  const [funder] = await hre.ethers.getSigners();
  const c = options.case ?? loadCase(SEED34);
  const caseText = options.caseText ?? readFileSync(SEED34, "utf8");
  const logs = { centre: [] as string[], generators: new Map<string, string[]>() };
  const world = await buildWorld({
    provider: hre.ethers.provider as never,
    funder,
    case: c,
    caseText,
    generators,
    seed: `test-${Math.random()}`,
    log: (line) => logs.centre.push(line),
    generatorLog: (address, line) => logs.generators.set(address, [...(logs.generators.get(address) ?? []), line]),
    ...options,
  });
  const dir = mkdtempSync(join(tmpdir(), "gridswap-agents-"));
  return { ...world, logs, case: c, caseText, dir };
}

/** Starts the market at the next period boundary with every generator's first reading recorded. */
export async function start(w: World): Promise<number> {
  const period = await w.pipeline.startPeriod();
  await w.pipeline.recordSchedule(period);
  return period;
}
