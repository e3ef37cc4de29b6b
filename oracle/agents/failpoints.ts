/**
 * Named crash points for fault tests (kill -9 at a chosen point of an agent's work). A process
 * started with GRIDSWAP_FAILPOINT=<name> (or <name>#<n>: the n-th time) kills itself with SIGKILL
 * when it reaches that point — no cleanup, no flushed state, exactly like a power cut. Unset in
 * normal operation, where `failpoint` costs one comparison.
 */
const spec = process.env.GRIDSWAP_FAILPOINT;
const [target, nth] = spec ? spec.split("#") : [];
let hits = 0;

export function failpoint(name: string): void {
  if (target === undefined || name !== target) return;
  hits++;
  if (hits === Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
}

/**
 * A misbehaviour a fault test asks a process to act out, GRIDSWAP_FAULT=<name> — for instance
 * "centre:zero-delivery", a dishonest centre that proposes every delivery as nothing moved. Unset
 * in normal operation; a process that acts one out says so at start.
 */
export function fault(name: string): boolean {
  return process.env.GRIDSWAP_FAULT === name;
}
