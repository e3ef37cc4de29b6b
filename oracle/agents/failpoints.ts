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
