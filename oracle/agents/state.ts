/**
 * An agent's small state: the last block it read and what it derived from the logs so far, kept
 * in memory and, when a path is given, in a JSON file written atomically (temp file + rename) so
 * a restart resumes from there instead of reading every log from the deployment block again.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { InFlightTx, SendJournal } from "../chain/tx";

export class StateFile<T extends object> {
  private value: T;

  constructor(
    private readonly path: string | undefined,
    private readonly initial: () => T,
    private readonly version = 1,
    /** Reads a file of an older version (its version and state), or undefined when it cannot. */
    private readonly upgrade?: (version: number, state: object) => T | undefined,
  ) {
    this.value = this.load();
  }

  get data(): T {
    return this.value;
  }

  /** Where the state is kept (undefined: in memory only). */
  get where(): string | undefined {
    return this.path;
  }

  /**
   * Replaces the state and writes it (atomically) when the agent has a state file. `durable`
   * syncs the file to disk before it replaces the old one: for what must survive a crash of the
   * machine, not only of the process (an operator's record of what it signed).
   */
  save(value: T = this.value, options: { durable?: boolean } = {}): void {
    this.value = value;
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const text = JSON.stringify({ version: this.version, state: value }, (_k, v) =>
      typeof v === "bigint" ? { $bigint: v.toString() } : v,
    );
    const tmp = `${this.path}.tmp`;
    if (options.durable) {
      const fd = openSync(tmp, "w");
      try {
        writeSync(fd, `${text}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else writeFileSync(tmp, `${text}\n`);
    renameSync(tmp, this.path);
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
    if (
      parsed.version !== this.version &&
      typeof parsed.version === "number" &&
      typeof parsed.state === "object" &&
      parsed.state !== null
    ) {
      const upgraded = this.upgrade?.(parsed.version, parsed.state);
      if (upgraded) return upgraded;
    }
    if (parsed.version !== this.version || typeof parsed.state !== "object" || parsed.state === null) {
      throw new Error(`state file ${this.path} has version ${parsed.version}, expected ${this.version}: move it away`);
    }
    return parsed.state;
  }
}

/**
 * sendGuarded's journal kept in an agent's state file (field `inflight`), written and synced to
 * disk before each broadcast. `exclusive`: the key is this process's alone (see SendJournal).
 */
export function stateJournal<T extends { inflight?: InFlightTx }>(
  state: StateFile<T>,
  exclusive: boolean,
): SendJournal {
  return {
    exclusive,
    get: () => state.data.inflight,
    set: (tx) => {
      state.data.inflight = tx;
      state.save(undefined, { durable: true });
    },
  };
}
