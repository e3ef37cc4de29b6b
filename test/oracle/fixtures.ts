/**
 * Small cases built in code, so solver tests run without ../shared. Columns follow MATPOWER:
 *   bus    [id type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin]
 *   gen    [bus Pg Qg Qmax Qmin Vg mBase status Pmax Pmin]
 *   branch [from to r x b rateA rateB rateC tap shift status angmin angmax]
 */
import type { PowerCase } from "../../oracle";

/**
 * Six meshed buses with non-consecutive numbers, a phase shifter, an off-nominal tap, line
 * charging, bus shunts, two PV units and one out-of-service branch.
 */
export function sixBusCase(): PowerCase {
  return {
    name: "six-bus",
    baseMVA: 100,
    bus: [
      [10, 3, 0, 0, 0, 0, 1, 1.05, 0, 230, 1, 1.1, 0.9],
      [20, 2, 20, 10, 0, 0, 1, 1.0, 0, 230, 1, 1.1, 0.9],
      [30, 1, 55, 18, 0, 0, 1, 1.0, 0, 230, 1, 1.1, 0.9],
      [40, 1, 70, 30, 2, 15, 1, 1.0, 0, 230, 1, 1.1, 0.9],
      [50, 1, 45, 12, 0, -5, 1, 1.0, 0, 230, 1, 1.1, 0.9],
      [60, 2, 10, 5, 0, 0, 1, 1.0, 0, 230, 1, 1.1, 0.9],
    ],
    gen: [
      [10, 0, 0, 300, -300, 1.05, 100, 1, 400, 0],
      [20, 60, 0, 40, -40, 1.03, 100, 1, 100, 0],
      [60, 45, 0, 30, -30, 1.02, 100, 1, 100, 0],
    ],
    branch: [
      [10, 20, 0.01, 0.06, 0.03, 0, 0, 0, 0, 0, 1, -360, 360],
      [10, 40, 0.02, 0.08, 0.02, 0, 0, 0, 0.98, 3, 1, -360, 360],
      [20, 30, 0.015, 0.07, 0.02, 0, 0, 0, 0, 0, 1, -360, 360],
      [30, 40, 0.01, 0.05, 0.01, 0, 0, 0, 0, 0, 1, -360, 360],
      [40, 50, 0.02, 0.09, 0.02, 0, 0, 0, 0, 0, 1, -360, 360],
      [50, 60, 0.01, 0.04, 0.01, 0, 0, 0, 0, 0, 1, -360, 360],
      [20, 50, 0.03, 0.1, 0.02, 0, 0, 0, 0, 0, 0, -360, 360],
      [30, 60, 0.0, 0.12, 0.0, 0, 0, 0, 1.02, 0, 1, -360, 360],
    ],
  };
}

/** A 5-bus radial feeder with PQ loads only (for the sweep). */
export function radialFeederCase(): PowerCase {
  return {
    name: "feeder",
    baseMVA: 10,
    bus: [
      [1, 3, 0, 0, 0, 0, 1, 1, 0, 12.66, 1, 1.1, 0.9],
      [2, 1, 1.0, 0.6, 0, 0, 1, 1, 0, 12.66, 1, 1.1, 0.9],
      [3, 1, 0.9, 0.4, 0, 0.2, 1, 1, 0, 12.66, 1, 1.1, 0.9],
      [4, 1, 1.2, 0.8, 0, 0, 1, 1, 0, 12.66, 1, 1.1, 0.9],
      [5, 1, 0.6, 0.2, 0, 0, 1, 1, 0, 12.66, 1, 1.1, 0.9],
    ],
    gen: [[1, 0, 0, 100, -100, 1, 10, 1, 100, 0]],
    branch: [
      [1, 2, 0.005, 0.01, 0.0002, 0, 0, 0, 0, 0, 1, -360, 360],
      [2, 3, 0.02, 0.03, 0, 0, 0, 0, 0, 0, 1, -360, 360],
      [2, 4, 0.015, 0.02, 0.0001, 0, 0, 0, 0, 0, 1, -360, 360],
      [4, 5, 0.03, 0.02, 0, 0, 0, 0, 0.97, 0, 1, -360, 360],
    ],
  };
}
