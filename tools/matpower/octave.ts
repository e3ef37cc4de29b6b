/**
 * MATPOWER's runopf on a redispatch GridSwap exported, through Octave (`octave-cli`) and the
 * MATPOWER run-time library in ../shared/matpower/engine (or $MATPOWER_ENGINE): used by
 * tools/opf-reference.ts to make the reference data and by `npm run bench:period` to time MATPOWER
 * beside GridSwap. Neither the tests nor a user's command needs it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { OPF_OPTIONS } from "../../oracle/market/opf-matlab";

export const MATPOWER_ENGINE = resolve(
  process.env.MATPOWER_ENGINE ?? join(__dirname, "../../../shared/matpower/engine"),
);

/** What gridswap_runopf.m writes (vectors as arrays even when Octave writes one number). */
export interface MatpowerOpf {
  /** MATPOWER's version. */
  readonly matpower: string;
  readonly success: boolean;
  readonly iterations: number;
  /** USD/h. */
  readonly objective: number;
  /** Output (MW) and the file's PG, per gen row of the exported case. */
  readonly pg: number[];
  readonly schedule: number[];
  /** Bus numbers and LAM_P (USD/MWh), per bus row. */
  readonly bus: number[];
  readonly lamP: number[];
  /** Multipliers of the mean-flow limits, USD/MWh: the from → to sides of the limited lines, then the to → from sides. */
  readonly mu: number[];
  /** runopf's wall time per run, seconds. */
  readonly seconds: number[];
}

/** Why MATPOWER cannot be run here, or undefined when it can. */
export function matpowerMissing(): string | undefined {
  if (!existsSync(join(MATPOWER_ENGINE, "lib", "runopf.m"))) return `MATPOWER not found at ${MATPOWER_ENGINE}`;
  const probe = spawnSync("octave-cli", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return "octave-cli not found (apt-get install octave)";
  return undefined;
}

/** Solves the exported case `caseFile` (its constraint functions beside it) `runs` times. */
export function runMatpowerOpf(caseFile: string, runs = 1): MatpowerOpf {
  const missing = matpowerMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), "gridswap-runopf-"));
  const out = join(dir, "out.json");
  const options = OPF_OPTIONS.map(([k, v]) => `'${k}', ${typeof v === "string" ? `'${v}'` : v}`).join(", ");
  const script =
    `addpath(genpath('${MATPOWER_ENGINE}')); addpath('${resolve(__dirname)}'); ` +
    `gridswap_runopf('${resolve(caseFile)}', '${out}', ${runs}, {${options}});`;
  try {
    const r = spawnSync("octave-cli", ["--no-gui", "--quiet", "--no-window-system", "--eval", script], {
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    if (r.status !== 0 || !existsSync(out)) {
      throw new Error(
        `octave-cli failed (status ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
    const raw = JSON.parse(readFileSync(out, "utf8"));
    const list = (x: unknown): number[] => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x as number]);
    return {
      matpower: String(raw.matpower),
      success: Boolean(raw.success),
      iterations: Number(raw.iterations),
      objective: Number(raw.objective),
      pg: list(raw.pg),
      schedule: list(raw.schedule),
      bus: list(raw.bus),
      lamP: list(raw.lam_p),
      mu: list(raw.mu),
      seconds: list(raw.seconds),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
