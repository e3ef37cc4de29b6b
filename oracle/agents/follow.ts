/**
 * Following the chain by block hash, after a Chainlink node's head tracker: an agent remembers
 * the blocks it read up to (checkpoints, each with a snapshot of what it had derived from the logs
 * so far) and the blocks that hold its own transactions. Each step first checks them against the
 * chain. When one is no longer there — a re-org, a node restarted from an earlier state, a reset —
 * the agent goes back to the newest checkpoint still on the chain, restores its snapshot, and
 * re-reads from there: what it did in the lost blocks (a fill, a post, a settlement) is decided
 * and done again, and every send re-checks chain state first, so nothing that survived is done
 * twice. When the deployment itself is gone, it stops with a DeploymentGoneError (final).
 *
 * A snapshot is taken after the logs are read and before the step acts, so it never holds a
 * decision whose transaction could be lost with a later block.
 */
import type { Provider, TransactionReceipt } from "ethers";
import { DeploymentGoneError } from "../chain/errors";
import type { InFlightTx } from "../chain/tx";
import type { StateFile } from "./state";

export interface BlockRef {
  readonly number: number;
  readonly hash: string;
}

/** What the follower keeps in the agent's state (and state file). */
export interface FollowedState {
  /** `<market address>@<hash of the deployment block>`: set on first use. */
  anchor?: string;
  /** Blocks read up to, oldest first, each with the rest of the state as it was then. */
  checkpoints?: { at: BlockRef; state: object }[];
  /** Blocks with this agent's own mined transactions, newer than the newest checkpoint. */
  acted?: BlockRef[];
  /** The agent's transaction in flight (sendGuarded's journal): kept as is when going back. */
  inflight?: InFlightTx;
}

export interface FollowerConfig<T> {
  readonly provider: Provider;
  readonly market: string;
  readonly deployBlock: number;
  /** The state of an agent that has read nothing yet (re-derive from the deployment). */
  readonly initial: () => T;
  readonly log: (line: string) => void;
  /** Checkpoints kept (default 32: at 12-s blocks, 6 minutes; deeper rollbacks re-read from the deployment). */
  readonly keep?: number;
  /**
   * Parts of the state that are not read from the chain and must survive going back as they are
   * (an oracle operator's record of what it signed: going back must never let it sign twice).
   */
  readonly preserve?: readonly (keyof T & string)[];
}

/** What a step finds when it checks the chain. */
export interface SyncResult {
  /** The chain's head: read logs up to this block. */
  readonly head: BlockRef;
  /** Set when blocks this agent knew were replaced: the block it went back to (-1: the start). */
  readonly rewoundTo?: number;
}

export class ChainFollower<T extends FollowedState> {
  private deploymentChecked = false;

  constructor(
    private readonly state: StateFile<T>,
    private readonly cfg: FollowerConfig<T>,
  ) {}

  /**
   * Checks the deployment (first call) and the blocks this agent knew, restores the newest
   * snapshot still on the chain after a re-org, and returns the head to read up to.
   */
  async sync(): Promise<SyncResult> {
    if (!this.deploymentChecked) {
      await this.checkDeployment();
      this.deploymentChecked = true;
    }
    const s = this.state.data;
    const checkpoints = s.checkpoints ?? [];
    const newest = checkpoints[checkpoints.length - 1];
    let lost: BlockRef | undefined;
    for (const b of [...(newest ? [newest.at] : []), ...(s.acted ?? [])]) {
      if ((lost === undefined || b.number < lost.number) && !(await this.isCanonical(b))) lost = b;
    }
    let rewoundTo: number | undefined;
    if (lost) rewoundTo = await this.rewind(lost);
    const head = await this.cfg.provider.getBlock("latest");
    if (!head?.hash) throw new DeploymentGoneError("the node has no latest block");
    return { head: { number: head.number, hash: head.hash }, rewoundTo };
  }

  /** Call after reading the logs up to `head` and before acting: a snapshot to come back to. */
  checkpoint(head: BlockRef): void {
    const s = this.state.data;
    const checkpoints = (s.checkpoints ?? []).filter((c) => c.at.number < head.number);
    const { checkpoints: _c, acted: _a, inflight: _i, ...rest } = s;
    for (const key of this.cfg.preserve ?? []) delete (rest as Record<string, unknown>)[key];
    checkpoints.push({ at: head, state: structuredClone(rest) });
    s.checkpoints = checkpoints.slice(-(this.cfg.keep ?? 32));
    // Blocks up to the head are its ancestors: checking the head checks them.
    s.acted = (s.acted ?? []).filter((b) => b.number > head.number);
  }

  /** Remembers the block of one of this agent's own mined transactions. */
  acted(receipt: Pick<TransactionReceipt, "blockNumber" | "blockHash">): void {
    const s = this.state.data;
    s.acted = [...(s.acted ?? []), { number: receipt.blockNumber, hash: receipt.blockHash }];
  }

  private async isCanonical(b: BlockRef): Promise<boolean> {
    return (await this.cfg.provider.getBlock(b.number))?.hash === b.hash;
  }

  /** Goes back to the newest checkpoint before `lost` still on the chain, else to the start. */
  private async rewind(lost: BlockRef): Promise<number> {
    await this.checkDeployment();
    const s = this.state.data;
    const candidates = (s.checkpoints ?? []).filter((c) => c.at.number < lost.number);
    let keep = -1;
    for (let i = candidates.length - 1; i >= 0; i--) {
      if (await this.isCanonical(candidates[i].at)) {
        keep = i;
        break;
      }
    }
    const kept: Record<string, unknown> = { anchor: s.anchor, inflight: s.inflight };
    for (const key of this.cfg.preserve ?? []) kept[key] = s[key];
    const back = keep >= 0 ? candidates[keep] : undefined;
    const restored = back ? (structuredClone(back.state) as T) : this.cfg.initial();
    // In place: other objects (a book index) hold a reference to the state.
    for (const key of Object.keys(s)) delete (s as Record<string, unknown>)[key];
    Object.assign(s, restored, kept, { checkpoints: candidates.slice(0, keep + 1), acted: [] });
    this.state.save();
    const to = back ? back.at.number : -1;
    this.cfg.log(
      `the chain changed under me: block ${lost.number} (${lost.hash.slice(0, 10)}) is no longer on it ` +
        `(a re-org or a node restarted from an earlier state); ` +
        (back
          ? `going back to block ${to}, the last one I read that is still there, and reading again from it`
          : `no block I read is still there: reading again from the deployment block ${this.cfg.deployBlock}`),
    );
    return to;
  }

  /** Throws DeploymentGoneError when the deployment block or the market's code is not this chain's. */
  private async checkDeployment(): Promise<void> {
    const { provider, market, deployBlock } = this.cfg;
    const [block, code] = await Promise.all([provider.getBlock(deployBlock), provider.getCode(market)]);
    const s = this.state.data;
    const anchor = block?.hash ? `${market.toLowerCase()}@${block.hash}` : undefined;
    if (anchor === undefined || code === "0x" || (s.anchor !== undefined && s.anchor !== anchor)) {
      const what =
        anchor === undefined
          ? `the chain has no block ${deployBlock}, the deployment's block`
          : code === "0x"
            ? `there is no contract at ${market}`
            : `${this.state.where ? `state file ${this.state.where}` : "this agent's state"} was written for ` +
              `${s.anchor}, not for the market ${market} deployed in block ${deployBlock} (${block?.hash})`;
      throw new DeploymentGoneError(
        `the deployment is gone: ${what}: the node was reset or redeployed — ` +
          (this.state.where ? "move the file away to start afresh" : "start afresh"),
      );
    }
    if (s.anchor === undefined) {
      s.anchor = anchor;
      this.state.save();
    }
  }
}
