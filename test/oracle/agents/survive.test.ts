/**
 * The parts that let agents survive the chain (issue #22), each on its own against Hardhat's
 * network: following the chain by block hash (ChainFollower: a rollback found, the newest
 * checkpoint still on the chain restored, what must never go back kept, a deployment gone), the
 * journal of the transaction in flight (a restart re-broadcasts it, never signs a second one;
 * another process's nonces make it stand by), the lock of a key on a host, and the provider that
 * retries every request on its own.
 */
import { expect } from "chai";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Network, Wallet, type Provider } from "ethers";
import { ethers, network } from "hardhat";
import { ChainFollower, type FollowedState } from "../../../oracle/agents/follow";
import { KeyLease } from "../../../oracle/agents/lease";
import { StateFile } from "../../../oracle/agents/state";
import { DeploymentGoneError, KeyInUseError, TransportError } from "../../../oracle/chain/errors";
import { RetryingJsonRpcProvider } from "../../../oracle/chain/rpc";
import { sendGuarded, type InFlightTx, type SendJournal } from "../../../oracle/chain/tx";

interface ToyState extends FollowedState {
  lastBlock: number;
  seen: number[];
  signed: string[];
}

/** The error `promise` rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (e: Error) => e,
  );
}

/** Asserts `promise` rejects with an instance of `type` whose message matches `message`. */
async function rejects(promise: Promise<unknown>, type: new (...a: never[]) => Error, message?: RegExp): Promise<void> {
  const e = await rejection(promise);
  expect(e, String(e)).to.be.instanceOf(type);
  if (message) expect(e.message).to.match(message);
}

const mine = (n = 1): Promise<unknown> => network.provider.send("hardhat_mine", [`0x${n.toString(16)}`]);
const snapshot = (): Promise<string> => network.provider.send("evm_snapshot", []) as Promise<string>;
/** Back to a snapshot; blocks mined after it differ from the lost ones (another time stamp). */
const revert = async (id: string): Promise<void> => {
  await network.provider.send("evm_revert", [id]);
  await network.provider.send("evm_increaseTime", [97]);
};

describe("agents that survive the chain: the parts", function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "gridswap-survive-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("ChainFollower", function () {
    let market: string;
    let deployBlock: number;
    before(async () => {
      const [admin] = await ethers.getSigners();
      const token = await (await ethers.getContractFactory("UsdToken")).deploy(admin.address, admin.address);
      market = await token.getAddress();
      deployBlock = (await token.deploymentTransaction()!.wait())!.blockNumber;
    });

    function follower(
      lines: string[],
      preserve: (keyof ToyState & string)[] = [],
    ): { state: StateFile<ToyState>; follow: ChainFollower<ToyState> } {
      const state = new StateFile<ToyState>(join(dir, "state.json"), () => ({
        lastBlock: deployBlock - 1,
        seen: [],
        signed: [],
      }));
      const follow = new ChainFollower(state, {
        provider: ethers.provider,
        market,
        deployBlock,
        initial: () => ({ lastBlock: deployBlock - 1, seen: [], signed: [] }),
        log: (l) => lines.push(l),
        preserve,
      });
      return { state, follow };
    }

    /** One step: sync, "read" up to the head (remember its number), checkpoint. */
    async function step(f: { state: StateFile<ToyState>; follow: ChainFollower<ToyState> }) {
      const r = await f.follow.sync();
      f.state.data.seen.push(r.head.number);
      f.state.data.lastBlock = r.head.number;
      f.follow.checkpoint(r.head);
      f.state.save();
      return r;
    }

    it("finds a rollback by block hash and goes back to the newest checkpoint still on the chain", async () => {
      const lines: string[] = [];
      const f = follower(lines);
      await step(f);
      await mine();
      const kept = await step(f);
      const id = await snapshot();
      await mine(2);
      await step(f);
      await mine();
      const lost = await step(f);
      expect(f.state.data.seen).to.include(lost.head.number);
      await revert(id);
      await mine(3); // other blocks at the same heights
      const r = await f.follow.sync();
      expect(r.rewoundTo).to.equal(kept.head.number);
      expect(f.state.data.lastBlock).to.equal(kept.head.number);
      expect(f.state.data.seen).to.not.include(lost.head.number);
      expect(lines.join("\n")).to.match(new RegExp(`going back to block ${kept.head.number}`));
      // And nothing to do when the chain only grew.
      f.follow.checkpoint(r.head);
      await mine();
      expect((await f.follow.sync()).rewoundTo).to.equal(undefined);
    });

    it("a lost block of its own transaction sends it back before that block; preserved parts stay", async () => {
      const lines: string[] = [];
      const f = follower(lines, ["signed"]);
      await step(f);
      const id = await snapshot();
      const before = await step(f);
      // "Acted" in the next block: a transaction of mine, mined after the checkpoint.
      await mine();
      const mined = await ethers.provider.getBlock("latest");
      f.follow.acted({ blockNumber: mined!.number, blockHash: mined!.hash! });
      f.state.data.signed.push("report 7");
      await revert(id);
      await mine(2);
      const r = await f.follow.sync();
      expect(r.rewoundTo, "the newest checkpoint before the lost block").to.equal(before.head.number);
      expect(f.state.data.signed, "what it signed is never taken back").to.deep.equal(["report 7"]);
      expect(f.state.data.acted).to.deep.equal([]);
    });

    it("with no checkpoint left on the chain, starts again from the deployment", async () => {
      const lines: string[] = [];
      const f = follower(lines);
      const id = await snapshot();
      await mine();
      await step(f);
      await revert(id);
      await mine(2);
      const r = await f.follow.sync();
      expect(r.rewoundTo).to.equal(-1);
      expect(f.state.data).to.deep.include({ lastBlock: deployBlock - 1, seen: [] });
      expect(lines.join("\n")).to.match(/reading again from the deployment block/);
    });

    it("a deployment gone — no code at the address, or another deployment block — is final", async () => {
      const state = new StateFile<ToyState>(undefined, () => ({ lastBlock: 0, seen: [], signed: [] }));
      const noCode = new ChainFollower(state, {
        provider: ethers.provider,
        market: Wallet.createRandom().address,
        deployBlock,
        initial: () => ({ lastBlock: 0, seen: [], signed: [] }),
        log: () => undefined,
      });
      await rejects(noCode.sync(), DeploymentGoneError, /the deployment is gone: there is no contract/);
      const other = new StateFile<ToyState>(undefined, () => ({
        lastBlock: 0,
        seen: [],
        signed: [],
        anchor: `${market.toLowerCase()}@0x${"00".repeat(32)}`,
      }));
      const moved = new ChainFollower(other, {
        provider: ethers.provider,
        market,
        deployBlock,
        initial: () => ({ lastBlock: 0, seen: [], signed: [] }),
        log: () => undefined,
      });
      await rejects(moved.sync(), DeploymentGoneError, /was written for 0x[0-9a-f]+@0x0+, not for the market/);
    });
  });

  describe("sendGuarded's journal", function () {
    let wallet: Wallet;
    let journal: SendJournal & { tx?: InFlightTx };
    const to = Wallet.createRandom().address;
    const pay = async () => ({ to, value: 1n });

    beforeEach(async () => {
      wallet = new Wallet(Wallet.createRandom().privateKey, ethers.provider as unknown as Provider);
      const [funder] = await ethers.getSigners();
      await (await funder.sendTransaction({ to: wallet.address, value: 10n ** 18n })).wait();
      const j: SendJournal & { tx?: InFlightTx } = {
        exclusive: true,
        get: () => j.tx,
        set: (tx) => {
          j.tx = tx;
        },
      };
      journal = j;
    });
    afterEach(async () => {
      await network.provider.send("evm_setAutomine", [true]);
    });

    it("a process that died with its transaction pending: the next one waits for it and signs nothing twice", async () => {
      await network.provider.send("evm_setAutomine", [false]);
      const crash = new Error("killed after the broadcast");
      const died = sendGuarded(wallet, pay, {
        label: "pay once",
        journal,
        afterBroadcast: () => {
          throw crash;
        },
      });
      expect(await rejection(died)).to.equal(crash);
      expect(journal.tx?.nonce).to.equal(0);
      // The restarted process wants to do something else: it first waits for the pending one.
      const next = sendGuarded(wallet, pay, { label: "pay again", journal, pollMs: 20 });
      await new Promise((r) => setTimeout(r, 200));
      await mine();
      await network.provider.send("evm_setAutomine", [true]);
      const result = await next;
      expect((await ethers.provider.getTransaction(result.receipt!.hash))!.nonce).to.equal(1);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(2);
      expect(journal.tx).to.equal(undefined);
    });

    it("the same intent after a restart re-broadcasts the very transaction it wrote down", async () => {
      await network.provider.send("evm_setAutomine", [false]);
      await rejection(
        sendGuarded(wallet, pay, {
          label: "fill 0xabc",
          journal,
          afterBroadcast: () => {
            throw new Error("killed");
          },
        }),
      );
      const written = journal.tx!;
      await network.provider.send("evm_setAutomine", [true]);
      await mine(); // the node mines what it holds: the restarted process finds it there
      const again = await sendGuarded(wallet, pay, { label: "fill 0xabc", journal, pollMs: 20 });
      expect(again.receipt?.hash).to.equal(written.hash);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(1);
    });

    it("a transaction the node does not mine in time is replaced with higher fees, never sent twice", async () => {
      await network.provider.send("evm_setAutomine", [false]);
      const lines: string[] = [];
      const sending = sendGuarded(wallet, pay, {
        label: "pay",
        journal,
        receiptTimeoutMs: 300,
        pollMs: 20,
        retry: { baseDelayMs: 10, log: (l) => lines.push(l) },
      });
      for (let i = 0; i < 200 && (journal.tx?.replaced ?? []).length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      const replacementHash = journal.tx!.hash;
      expect(journal.tx!.replaced, "the first signature, replaced").to.have.length(1);
      await mine();
      await network.provider.send("evm_setAutomine", [true]);
      const result = await sending;
      expect(result.receipt!.hash).to.equal(replacementHash);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(1);
      expect(lines.join("\n")).to.match(
        /not mined in 300 ms: replaced by 0x[0-9a-f]+ \(nonce 0, fees raised by a quarter\)/,
      );
    });

    it("another process's pending transaction with the same key: KeyInUseError, nothing signed", async () => {
      await network.provider.send("evm_setAutomine", [false]);
      const twin = new Wallet(wallet.privateKey, ethers.provider as unknown as Provider);
      await twin.sendTransaction({ to, value: 2n });
      await rejects(
        sendGuarded(wallet, pay, { label: "pay", journal }),
        KeyInUseError,
        /pending transaction\(s\) this process did not send/,
      );
      expect(journal.tx).to.equal(undefined);
    });

    it("nonces used by another process since my last transaction: KeyInUseError", async () => {
      await sendGuarded(wallet, pay, { label: "first", journal });
      const twin = new Wallet(wallet.privateKey, ethers.provider as unknown as Provider);
      await (await twin.sendTransaction({ to, value: 2n })).wait();
      await rejects(
        sendGuarded(wallet, pay, { label: "second", journal }),
        KeyInUseError,
        /used nonce\(s\) 1–1 since my last transaction/,
      );
    });
  });

  describe("KeyLease", function () {
    it("one holder per key on a host; a dead holder's lock is taken over; released on drop", () => {
      const first = KeyLease.forKey(31337, "0xAB", "0xCD", dir);
      const second = KeyLease.forKey(31337, "0xab", "0xcd", dir);
      expect(first.acquire()).to.deep.equal({ held: true });
      const refused = second.acquire();
      expect(refused.held).to.equal(false);
      expect(refused.held === false && refused.holder).to.match(new RegExp(`process ${process.pid} on `));
      first.drop();
      expect(second.acquire()).to.deep.equal({ held: true });
      second.drop();
      // A lock left by a process that is gone (kill -9): taken over.
      writeFileSync(first.path, JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), since: "x" }));
      expect(first.acquire()).to.deep.equal({ held: true });
      first.drop();
    });

    it("a lock is never seen without its holder: it appears complete, and nothing else is left in the folder", () => {
      const lease = KeyLease.forKey(31337, "0xEF", "0x01", dir);
      const before = new Set(readdirSync(dir));
      expect(lease.acquire()).to.deep.equal({ held: true });
      // Written first, then linked in place: a second process starting in the same instant reads a
      // live holder, never an empty file it would take for a dead one (the race CI met in e2e (d)).
      expect(JSON.parse(readFileSync(lease.path, "utf8"))).to.include({ pid: process.pid, host: hostname() });
      const added = readdirSync(dir).filter((f) => !before.has(f));
      expect(added).to.deep.equal([basename(lease.path)]);
      lease.drop();
    });
  });

  describe("RetryingJsonRpcProvider", function () {
    let server: Server;
    let failuresLeft = 0;
    let url: string;
    before(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          if (failuresLeft > 0) {
            failuresLeft--;
            return failuresLeft % 2 === 0 ? void req.socket.destroy() : void res.writeHead(502).end("bad gateway");
          }
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { id: number } | { id: number }[];
          const answer = (p: { id: number }) => ({ jsonrpc: "2.0", id: p.id, result: "0x2a" });
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise((r) => server.close(r)));

    it("retries one request through resets and HTTP 5xx, and gives up with a TransportError", async () => {
      const p = new RetryingJsonRpcProvider(
        url,
        Network.from(31337n),
        { staticNetwork: true, cacheTimeout: -1 },
        {
          attempts: 5,
          baseDelayMs: 5,
        },
      );
      failuresLeft = 4;
      expect(await p.getBlockNumber()).to.equal(42);
      failuresLeft = 5;
      await rejects(p.getBlockNumber(), TransportError, /still failing after 5 attempts/);
      p.destroy();
    });
  });
});
