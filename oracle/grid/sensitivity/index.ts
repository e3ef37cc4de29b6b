/** Line-flow sensitivities for the redispatch: AC (Jacobian at an operating point) and DC PTDF. */
export { acFlowSensitivities, type FlowSensitivities } from "./ac";
export { dcFlowSensitivities } from "./ptdf";
