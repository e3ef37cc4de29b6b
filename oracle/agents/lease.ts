/**
 * One active process per key on a host: a lock file, created exclusively, that names the process
 * holding it. A second process with the same key finds it held by a live process and stands by
 * (a hot standby); when the holder dies — even by kill -9 — its pid is gone and the standby takes
 * the lock over. Across hosts the chain's nonce is the arbiter (sendGuarded's KeyInUseError).
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export type LeaseStatus = { readonly held: true } | { readonly held: false; readonly holder: string };

export class KeyLease {
  private held = false;
  private readonly release = (): void => this.drop();

  constructor(readonly path: string) {}

  /** The lock file for `address` on `chainId`'s deployment `market`, in GRIDSWAP_LOCK_DIR or the temp folder. */
  static forKey(
    chainId: bigint | number,
    market: string,
    address: string,
    dir = process.env.GRIDSWAP_LOCK_DIR,
  ): KeyLease {
    const folder = dir && dir.trim() !== "" ? dir : tmpdir();
    return new KeyLease(join(folder, `gridswap-${chainId}-${market.toLowerCase()}-${address.toLowerCase()}.lock`));
  }

  /** Takes the lock if it is free or its holder is dead; else says who holds it. */
  acquire(): LeaseStatus {
    if (this.held) return { held: true };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(join(this.path, ".."), { recursive: true });
        // The lock appears with its holder in it, at once: written to a file of this process's own,
        // then linked in place (which fails when a lock exists). A lock created empty and written
        // after would look unreadable — dead — to a second process starting in the same instant,
        // which would then take it over: two active processes with one key.
        const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
        const mine = `${this.path}.${process.pid}.${Date.now()}`;
        writeFileSync(mine, `${JSON.stringify(me)}\n`);
        try {
          linkSync(mine, this.path);
        } finally {
          unlinkSync(mine);
        }
        this.held = true;
        process.once("exit", this.release);
        return { held: true };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const holder = this.readHolder();
      if (holder && isAlive(holder)) {
        return { held: false, holder: `process ${holder.pid} on ${holder.host} since ${holder.since}` };
      }
      // A dead holder (or an unreadable file from a crash while writing it): take it over.
      try {
        unlinkSync(this.path);
      } catch {
        // another standby removed it first: try again
      }
    }
    return { held: false, holder: "another process (the lock changed hands while I looked)" };
  }

  /** Releases the lock (at exit it is released anyway). */
  drop(): void {
    if (!this.held) return;
    this.held = false;
    process.off("exit", this.release);
    try {
      const holder = this.readHolder();
      if (holder?.pid === process.pid) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private readHolder(): Holder | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.path, "utf8")) as Partial<Holder>;
      if (typeof parsed.pid === "number" && typeof parsed.host === "string") {
        return { pid: parsed.pid, host: parsed.host, since: String(parsed.since) };
      }
    } catch {
      // unreadable: treated as dead
    }
    return undefined;
  }
}

/** A holder on another host cannot be checked from here: it counts as alive. */
function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
