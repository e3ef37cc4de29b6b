/**
 * GridSwap's answer to an exported redispatch problem against MATPOWER's solution of it
 * (tools/opf-reference.ts writes the references, test/oracle/market/opf-reference.test.ts
 * compares): unit moves, binding lines and their shadow prices, nodal prices.
 */
import type { OpfAnswer } from "./opf-export";

/** MATPOWER's solution of an exported problem, by the case's gen rows, branch rows and bus numbers. */
export interface OpfReference {
  readonly matpower: string;
  readonly success: boolean;
  readonly iterations: number;
  /** USD/h. */
  readonly objective: number;
  /** Every exported unit: its schedule and MATPOWER's output, MW. */
  readonly units: {
    readonly gen: number;
    readonly bus: number;
    readonly scheduledMW: number;
    readonly outputMW: number;
  }[];
  /** Every limited line: its limit (MW) and the multipliers of its two sides, USD/MWh. */
  readonly limits: {
    readonly branch: number;
    readonly from: number;
    readonly to: number;
    readonly limitMW: number;
    readonly muFromTo: number;
    readonly muToFrom: number;
  }[];
  /** LAM_P per bus, USD/MWh. */
  readonly lmp: { readonly bus: number; readonly price: number }[];
}

/** GridSwap's answer against MATPOWER's: the largest deviations, and the binding sets. */
export interface OpfComparison {
  /** Largest |GridSwap's move − MATPOWER's| over every unit (market units, master, fixed), MW. */
  readonly moveMW: number;
  readonly moveGen: number;
  /** Branch rows with a shadow price: GridSwap's and MATPOWER's (multiplier above 1e-3 USD/MWh). */
  readonly bindingGridSwap: number[];
  readonly bindingMatpower: number[];
  /** Largest |μ − μ_MATPOWER| / μ_MATPOWER over the lines binding in both. */
  readonly muRelative: number;
  /** Largest |LMP − LAM_P| (USD/MWh) and the largest relative one, with their buses. */
  readonly lmpUsdPerMWh: number;
  readonly lmpBus: number;
  readonly lmpRelative: number;
  /** Buses whose LMP is off by more than both 0.5 % and 0.05 USD/MWh. */
  readonly lmpOutside: number[];
}

/** A multiplier above this (USD/MWh) marks a binding limit in MATPOWER's solution. */
export const MATPOWER_BINDING_MU = 1e-3;

export function compareOpf(answer: OpfAnswer, reference: OpfReference): OpfComparison {
  const ours = new Map<number, number>();
  for (const m of [...answer.moves, ...answer.master]) ours.set(m.gen, m.deltaMW);
  let moveMW = 0;
  let moveGen = 0;
  for (const u of reference.units) {
    const d = Math.abs((ours.get(u.gen) ?? 0) - (u.outputMW - u.scheduledMW));
    if (d > moveMW) [moveMW, moveGen] = [d, u.gen];
  }
  const bindingMatpower = reference.limits
    .filter((l) => Math.max(l.muFromTo, l.muToFrom) > MATPOWER_BINDING_MU)
    .map((l) => l.branch);
  let muRelative = 0;
  for (const b of answer.binding) {
    const l = reference.limits.find((x) => x.branch === b.branch);
    if (!l || !bindingMatpower.includes(b.branch)) continue;
    const mu = b.side > 0 ? l.muFromTo : l.muToFrom;
    muRelative = Math.max(muRelative, Math.abs(b.mu - mu) / mu);
  }
  const price = new Map(answer.lmp.map((p) => [p.bus, p.price]));
  let lmpUsdPerMWh = 0;
  let lmpBus = 0;
  let lmpRelative = 0;
  const lmpOutside: number[] = [];
  for (const { bus, price: lamP } of reference.lmp) {
    const d = Math.abs((price.get(bus) ?? Number.NaN) - lamP);
    const relative = d / Math.max(Math.abs(lamP), 1e-9);
    if (!(d <= lmpUsdPerMWh)) [lmpUsdPerMWh, lmpBus] = [d, bus];
    lmpRelative = Math.max(lmpRelative, relative);
    if (!(d <= 0.05 || relative <= 0.005)) lmpOutside.push(bus);
  }
  return {
    moveMW,
    moveGen,
    bindingGridSwap: answer.binding.map((b) => b.branch).sort((a, b) => a - b),
    bindingMatpower: bindingMatpower.sort((a, b) => a - b),
    muRelative,
    lmpUsdPerMWh,
    lmpBus,
    lmpRelative,
    lmpOutside,
  };
}
