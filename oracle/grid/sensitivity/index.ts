/** Line-flow sensitivities for the redispatch: AC (Jacobian at an operating point) and DC PTDF. */
import type { OperatingPoint } from "../pf/point";
import { acFlowSensitivities, type FlowSensitivities } from "./ac";
import { dcFlowSensitivities } from "./ptdf";

export { acFlowSensitivities, type FlowSensitivities } from "./ac";
export { dcFlowSensitivities } from "./ptdf";

export type SensitivityMethod = "ac" | "dc";

/** Sensitivities of `branches` (internal) at `point` by `method`: the AC Jacobian there, or the DC PTDF. */
export function flowSensitivities(
  point: OperatingPoint,
  branches: ArrayLike<number>,
  method: SensitivityMethod,
): FlowSensitivities {
  return method === "dc" ? dcFlowSensitivities(point.model, branches) : acFlowSensitivities(point, branches);
}
