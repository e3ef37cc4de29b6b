/**
 * The agents as separate processes against real JSON-RPC nodes on loopback — `hardhat node` and
 * Anvil — exactly as an operator runs them: deploy over JSON-RPC, the centre agent (`--once`)
 * reports period P and publishes the seed34 offer, the node-27 generator agent (`--once`) accepts
 * it, the chain clock moves one period (evm_increaseTime + evm_mine), and the centre agent
 * reports the measured delivery and settles. Checked on-chain from here: offer 1 Settled and the
 * generator paid. Also: the processes' one-line errors and exit status, and the loop mode.
 *
 * Run alone with `npm run devnet:test`. Anvil is skipped, saying so, when its binary is absent.
 * No timing is asserted; the timeouts are only there so that a stuck process fails the test.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptKeystoreJson, JsonRpcProvider, Network, Wallet } from "ethers";
import { DemandResponseMarket__factory, UsdToken__factory } from "../../typechain-types";
import { PERIOD_SECONDS } from "../../oracle/chain/units";
import {
  anvilBinary,
  deployTo,
  DEV_KEYS,
  freePort,
  startAnvil,
  startHardhatNode,
  type DeployToResult,
  type LocalNode,
} from "../../scripts/devnet";

const ROOT = join(__dirname, "..", "..");
const [ADMIN_KEY, ORACLE_KEY, CENTRE_KEY, GENERATOR_KEY, STRANGER_KEY] = DEV_KEYS;
const GENERATOR = new Wallet(GENERATOR_KEY).address;
const PROCESS_TIMEOUT_MS = 120_000;
const STATUS_SETTLED = 3n;

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of the agent processes: none of the caller's agent settings leak in. */
function agentEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^((ORACLE|CENTRE|GENERATOR)_(KEY|KEYSTORE|PASSWORD)|RPC_URL|NETWORK_NAME|GRIDSWAP_DEPLOYMENTS_DIR)$/.test(k))
      continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** `node -r ts-node/register/transpile-only scripts/<script> <args>`; killed if it hangs. */
function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join("scripts", script), ...args], {
      cwd: ROOT,
      env: agentEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROCESS_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last stdout line that is a JSON object (the agents' --json summary). */
function lastJson(exit: Exit): Record<string, unknown> {
  const line = exit.stdout
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  expect(line, `no JSON summary in stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`).to.be.a("string");
  return JSON.parse(line as string) as Record<string, unknown>;
}

function expectSuccess(exit: Exit): void {
  expect(exit.code, `exit ${exit.code}\nstdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`).to.equal(0);
  expect(exit.stderr).to.equal("");
}

/** Exit status 1 and exactly one line on stderr, matching `pattern`. */
function expectOneLineError(exit: Exit, pattern: RegExp): void {
  expect(exit.code, `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`).to.equal(1);
  const lines = exit.stderr.trimEnd().split("\n");
  expect(lines, exit.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
}

const GENERATOR_POLICY = ["--node", "27", "--cost", "0.01", "--margin", "0.002", "--capacity", "50"];

describe("devnet: agent processes on local JSON-RPC nodes", function () {
  this.timeout(300_000);

  describe("without a node", () => {
    it("exit 1 with one line when RPC_URL is missing or nothing answers there", async () => {
      const missing = await runScript("agent-centre.ts", ["--once"], {});
      expectOneLineError(missing, /^agent-centre: RPC_URL is not set/);
      const port = await freePort(); // free, so nothing listens there
      const unreachable = await runScript("agent-generator.ts", ["--once", ...GENERATOR_POLICY], {
        RPC_URL: `http://127.0.0.1:${port}`,
        GENERATOR_KEY,
      });
      expectOneLineError(
        unreachable,
        /^agent-generator: cannot reach RPC_URL http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
      );
      const usage = await runScript("agent-generator.ts", ["--once", "--node", "27"], {});
      expectOneLineError(usage, /^agent-generator: --cost is required$/);
    });
  });

  const kinds: ReadonlyArray<{ name: string; start: () => Promise<LocalNode>; available: () => boolean }> = [
    { name: "hardhat node", start: () => startHardhatNode(), available: () => true },
    { name: "anvil", start: () => startAnvil(), available: () => anvilBinary() !== undefined },
  ];

  for (const kind of kinds) {
    describe(kind.name, function () {
      let node: LocalNode | undefined;
      let provider: JsonRpcProvider | undefined;
      let dir = "";
      let deployment: DeployToResult;
      let period = 0;
      let env: Record<string, string> = {};

      const rpc = <T>(method: string, params: unknown[] = []): Promise<T> =>
        (provider as JsonRpcProvider).send(method, params) as Promise<T>;
      const chainTime = async (): Promise<number> =>
        (await (provider as JsonRpcProvider).getBlock("latest"))?.timestamp ?? 0;
      /** Moves the chain clock to `to` (or just past it: the nodes follow the wall clock). */
      const advanceTo = async (to: number): Promise<void> => {
        const delta = to - (await chainTime());
        if (delta > 0) await rpc("evm_increaseTime", [delta]);
        await rpc("evm_mine");
      };

      before(async function () {
        if (!kind.available()) {
          console.log(
            `      skipping ${kind.name}: no binary for ${process.platform}-${process.arch} (install @foundry-rs/anvil or set ANVIL_BIN)`,
          );
          this.skip();
        }
        node = await kind.start();
        provider = new JsonRpcProvider(node.url, Network.from(node.chainId), { staticNetwork: true, cacheTimeout: -1 });
        dir = mkdtempSync(join(tmpdir(), "gridswap-devnet-"));
        deployment = await deployTo(node.url, ADMIN_KEY, {
          oracle: new Wallet(ORACLE_KEY).address,
          centreKey: CENTRE_KEY,
          generator: GENERATOR,
          node: 27,
          kwh: 100,
          usd: 100,
          root: dir,
        });
        env = {
          RPC_URL: node.url,
          GRIDSWAP_DEPLOYMENTS_DIR: dir,
          NETWORK_NAME: "devnet",
        };
        // Start at a period boundary, so the whole period is ahead of the agents.
        period = Math.floor((await chainTime()) / PERIOD_SECONDS) + 1;
        await advanceTo(period * PERIOD_SECONDS);
      });

      after(async () => {
        provider?.destroy();
        await node?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it("deploy over JSON-RPC and write the deployment file", () => {
        expect(deployment.path).to.equal(join(dir, "deployments", "devnet.json"));
        expect(deployment.file.chainId).to.equal(Number(node?.chainId));
      });

      it("period P: the centre process reports and publishes, the generator process accepts", async () => {
        const centre = await runScript("agent-centre.ts", ["--once", "--json"], { ...env, ORACLE_KEY, CENTRE_KEY });
        expectSuccess(centre);
        const first = lastJson(centre);
        expect(first).to.include({ period, reported: true, violations: 3 });
        expect(first.published).to.deep.equal(["1"]);

        const generator = await runScript("agent-generator.ts", ["--once", "--json", ...GENERATOR_POLICY], {
          ...env,
          GENERATOR_KEY,
        });
        expectSuccess(generator);
        expect(lastJson(generator)).to.deep.equal({ accepted: ["1"], rejected: [] });
        expect(generator.stdout).to.match(/offer #1: accept — pays 0\.015000 USD\/kWh/);
      });

      it("period P: a restarted centre process neither reports nor publishes again", async () => {
        const centre = await runScript("agent-centre.ts", ["--once", "--json"], { ...env, ORACLE_KEY, CENTRE_KEY });
        expectSuccess(centre);
        expect(lastJson(centre)).to.deep.include({ period, reported: false, settled: [], published: [] });
        expect(centre.stdout).to.match(/already reported, skipping the report/);
        expect(centre.stdout).to.match(/offers already published, skipping/);
      });

      it("period P+1: the centre process reports the delivery and settles; the generator is paid", async () => {
        const market = DemandResponseMarket__factory.connect(deployment.file.addresses.market, provider);
        const usd = UsdToken__factory.connect(deployment.file.addresses.usd, provider);
        const before = await usd.balanceOf(GENERATOR);
        await advanceTo((period + 1) * PERIOD_SECONDS);

        const centre = await runScript("agent-centre.ts", ["--once", "--json"], { ...env, ORACLE_KEY, CENTRE_KEY });
        expectSuccess(centre);
        const second = lastJson(centre);
        expect(second).to.include({ period: period + 1, reported: true, violations: 0 });
        expect(second.settled).to.deep.equal(["1"]);
        expect(second.published).to.deep.equal([]);
        const deliveries = second.deliveries as Array<{ period: number; generator: string; adjustmentKwh: number }>;
        expect(deliveries).to.have.length(1);
        expect(deliveries[0].period).to.equal(period);
        expect(deliveries[0].generator).to.equal(GENERATOR);
        expect(deliveries[0].adjustmentKwh).to.be.closeTo(-10.372, 1e-9);

        const offer = await market.getOffer(1);
        expect(offer.status).to.equal(STATUS_SETTLED);
        expect(offer.generator).to.equal(GENERATOR);
        expect(offer.usdAmount).to.be.greaterThan(0n);
        expect(await usd.balanceOf(GENERATOR)).to.equal(before + offer.usdAmount);
      });

      // Regression: a restart after settlement must still see last period's (settled) moves.
      it("period P+1: a restarted centre process after settlement publishes nothing", async () => {
        const centre = await runScript("agent-centre.ts", ["--once", "--json"], { ...env, ORACLE_KEY, CENTRE_KEY });
        expectSuccess(centre);
        expect(lastJson(centre)).to.deep.include({
          period: period + 1,
          reported: false,
          violations: 0,
          settled: [],
          published: [],
        });
      });

      it("refuse a wallet (here from a keystore) that is not a registered generator, and a missing deployment", async () => {
        // The stranger's wallet from an encrypted keystore (cheap scrypt: the format is the standard one).
        const stranger = new Wallet(STRANGER_KEY);
        const keystore = join(dir, "stranger.json");
        writeFileSync(
          keystore,
          await encryptKeystoreJson({ address: stranger.address, privateKey: stranger.privateKey }, "pass", {
            scrypt: { N: 1024 },
          }),
        );
        const unregistered = await runScript("agent-generator.ts", ["--once", ...GENERATOR_POLICY], {
          ...env,
          GENERATOR_KEYSTORE: keystore,
          GENERATOR_PASSWORD: "pass",
        });
        expectOneLineError(
          unregistered,
          new RegExp(`^agent-generator: ${stranger.address} is not a registered generator`),
        );
        const wrongNode = await runScript(
          "agent-generator.ts",
          ["--once", "--node", "2", "--cost", "0.01", "--capacity", "5"],
          { ...env, GENERATOR_KEY },
        );
        expectOneLineError(wrongNode, /is registered at node 27, not at --node 2$/);
        const empty = mkdtempSync(join(tmpdir(), "gridswap-devnet-empty-"));
        try {
          const missing = await runScript("agent-centre.ts", ["--once"], {
            ...env,
            ORACLE_KEY,
            CENTRE_KEY,
            GRIDSWAP_DEPLOYMENTS_DIR: empty,
          });
          expectOneLineError(missing, /^agent-centre: no deployment for network 'devnet' .*run the deploy task first/);
        } finally {
          rmSync(empty, { recursive: true, force: true });
        }
      });

      it("loop until SIGTERM, then exit 0", async () => {
        let signalled = false;
        const loop = await runScript(
          "agent-generator.ts",
          ["--interval-seconds", "1", "--json", ...GENERATOR_POLICY],
          { ...env, GENERATOR_KEY },
          (stdout, child) => {
            // Stop after the second poll: the loop really loops.
            if (!signalled && (stdout.match(/^\{"accepted"/gm) ?? []).length >= 2) {
              signalled = true;
              child.kill("SIGTERM");
            }
          },
        );
        expect(signalled, loop.stdout + loop.stderr).to.equal(true);
        expectSuccess(loop);
      });
    });
  }
});
