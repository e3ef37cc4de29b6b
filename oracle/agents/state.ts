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
import { ConfigurationError } from "../chain/errors";
import type { InFlightTx, SendJournal } from "../chain/tx";

/**
 * A state file that cannot be used: unreadable, not JSON, not a state, or of a version this code
 * does not read. A setting problem (exit, not retry): reading it again gives the same answer.
 */
export class StateFileError extends ConfigurationError {
  constructor(
    readonly path: string,
    /** What is wrong, without the path. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`state file ${path}: ${problem}`, options);
  }
}

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
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new StateFileError(this.path, `cannot read it (${code})`, { cause: e });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, (_k, v) =>
        v && typeof v === "object" && typeof v.$bigint === "string" ? BigInt(v.$bigint) : v,
      );
    } catch (e) {
      throw new StateFileError(this.path, `not valid JSON (${(e as Error).message}): move it away to start afresh`, {
        cause: e,
      });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new StateFileError(this.path, `not a state ({"version", "state"}): move it away to start afresh`);
    }
    const { version, state } = parsed as { version?: unknown; state?: unknown };
    const isState = typeof state === "object" && state !== null && !Array.isArray(state);
    if (version !== this.version && typeof version === "number" && isState) {
      const upgraded = this.upgrade?.(version, state as object);
      if (upgraded) return upgraded;
    }
    if (version !== this.version) {
      throw new StateFileError(
        this.path,
        `format version ${String(version)}, this agent reads version ${this.version}: move it away to start afresh`,
      );
    }
    if (!isState) throw new StateFileError(this.path, `no "state" object: move it away to start afresh`);
    return state as T;
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
