/**
 * An agent's small state: the last block it read and what it derived from the logs so far, kept
 * in memory and, when a path is given, in a JSON file written atomically (temp file + rename) so
 * a restart resumes from there instead of reading every log from the deployment block again.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export class StateFile<T extends object> {
  private value: T;

  constructor(
    private readonly path: string | undefined,
    private readonly initial: () => T,
    private readonly version = 1,
  ) {
    this.value = this.load();
  }

  get data(): T {
    return this.value;
  }

  /** Replaces the state and writes it (atomically) when the agent has a state file. */
  save(value: T = this.value): void {
    this.value = value;
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const text = JSON.stringify({ version: this.version, state: value }, (_k, v) =>
      typeof v === "bigint" ? { $bigint: v.toString() } : v,
    );
    writeFileSync(`${this.path}.tmp`, `${text}\n`);
    renameSync(`${this.path}.tmp`, this.path);
  }

  private load(): T {
    if (!this.path || !existsSync(this.path)) return this.initial();
    let parsed: { version?: number; state?: T };
    try {
      parsed = JSON.parse(readFileSync(this.path, "utf8"), (_k, v) =>
        v && typeof v === "object" && typeof v.$bigint === "string" ? BigInt(v.$bigint) : v,
      );
    } catch (e) {
      throw new Error(
        `state file ${this.path} is not valid JSON (${(e as Error).message}): move it away to start afresh`,
      );
    }
    if (parsed.version !== this.version || typeof parsed.state !== "object" || parsed.state === null) {
      throw new Error(`state file ${this.path} has version ${parsed.version}, expected ${this.version}: move it away`);
    }
    return parsed.state;
  }
}
