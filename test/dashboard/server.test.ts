/**
 * The dashboard's server without a browser: files never served from outside their directory,
 * requests for another host or from another origin refused, the JSON-RPC proxy's allow-list, the
 * chain checks' plain-language problems, the case's topology, the period records served as they
 * were written, and when the pages must be rebuilt.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCase } from "../../oracle";
import { runPeriod } from "../../oracle/market/period";
import { limitedLineSet, studiedRecord, type StudiedPeriodRecord } from "../../oracle/agents/day-record";
import { PERIOD_RECORD_VERSION } from "../../oracle/agents/day-schema";
import { scheduleConditions } from "../../oracle/agents/period-recorder";
import { ChainStatus } from "../../dashboard/server/chain";
import { staleBuildReason } from "../../dashboard/server/build";
import { topologyOf } from "../../dashboard/server/topology";
import { ForbiddenPathError, ResultsDirectory, safeFileUnder, writeResults } from "../../dashboard/server/results";
import { HttpRpcBackend, RPC_UNREACHABLE, type RpcAnswer, type RpcBackend } from "../../dashboard/server/rpc";
import { startDashboardServer, type RunningServer } from "../../dashboard/server/server";

const SEED34 = join(__dirname, "..", "..", "cases", "seed34.json");

/** seed34's study of `period` (30-minute periods) as the pipeline's record writer has it once studied. */
async function studiedSeed34(period: number): Promise<StudiedPeriodRecord> {
  const c = loadCase(SEED34);
  const study = await runPeriod(c, { periodStart: period * 1800 });
  return studiedRecord(scheduleConditions(c, period, 1800), study, c, [2, 27, 34], limitedLineSet(c), {
    chainPeriod: period,
    chainStart: period * 1800,
    fills: [],
    posted: [],
    auction: null,
    problems: [],
  });
}

const DEPLOYMENT = {
  network: "test",
  chainId: 31337,
  deployedAt: "2026-01-01T00:00:00.000Z",
  deployBlock: 1,
  periodSeconds: 1800,
  addresses: {
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    usd: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    kwh: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    oracle: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    market: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
  },
};

/** A JSON-RPC backend that answers eth_chainId with `chainId` and echoes every other method. */
function fakeRpc(chainId: number): RpcBackend & { calls: string[] } {
  const calls: string[] = [];
  return {
    description: "a fake node",
    calls,
    async call(id, method): Promise<RpcAnswer> {
      calls.push(method);
      return {
        jsonrpc: "2.0",
        id,
        result: method === "eth_chainId" ? `0x${chainId.toString(16)}` : `answer to ${method}`,
      };
    },
  };
}

function send(
  server: RunningServer,
  path: string,
  o: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: server.port, path, method: o.method ?? "GET", headers: o.headers },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", () => ok()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

const rpcPost = (server: RunningServer, body: unknown, headers: Record<string, string> = {}) =>
  send(server, "/rpc", {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...headers },
  });

describe("dashboard server", function () {
  const root = mkdtempSync(join(tmpdir(), "gridswap-dashboard-server-"));
  const dist = join(root, "dist");
  const results = join(root, "results");
  const outside = join(root, "outside");
  let server: RunningServer;
  let record: StudiedPeriodRecord;

  before(async function () {
    record = await studiedSeed34(1000);
    for (const d of [dist, results, outside]) mkdirSync(d, { recursive: true });
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>t</title>");
    writeFileSync(join(outside, "secret.txt"), "not for the browser");
    writeFileSync(join(results, ".hidden.json"), "{}");
    symlinkSync(join(outside, "secret.txt"), join(results, "escape.txt"));
    writeResults(results, [record], { case: "seed34" });
    const deploymentPath = join(root, "deployment.json");
    writeFileSync(deploymentPath, JSON.stringify(DEPLOYMENT));
    const rpc = fakeRpc(31337);
    server = await startDashboardServer({
      distDir: dist,
      rpc,
      chain: { check: async () => ({ deployment: DEPLOYMENT }) } as unknown as ChainStatus,
      topology: topologyOf(loadCase(SEED34)),
      results: new ResultsDirectory(results),
      pollMs: 1000,
      port: 0,
    });
  });

  after(async () => server?.close());

  describe("files", function () {
    it("serves files inside the directory and refuses every way out of it", function () {
      expect(safeFileUnder(results, "periods.json")).to.equal(join(results, "periods.json"));
      expect(safeFileUnder(results, "no-such.json")).to.equal(undefined);
      for (const bad of [
        "../outside/secret.txt",
        "a/../../outside/secret.txt",
        "..\\outside\\secret.txt",
        ".hidden.json",
        "x\0y",
      ]) {
        expect(() => safeFileUnder(results, bad), bad).to.throw(ForbiddenPathError);
      }
      // A symbolic link that leads outside is refused after it is resolved.
      expect(() => safeFileUnder(results, "escape.txt")).to.throw(ForbiddenPathError, /outside/);
      // Leading slashes name files under the directory, never the file system's root.
      expect(safeFileUnder(results, "/etc/passwd")).to.equal(undefined);
    });

    it("answers path traversal over HTTP with 403, whatever the encoding", async function () {
      expect((await send(server, "/api/results/periods.json")).status).to.equal(200);
      for (const path of [
        "/api/results/..%2foutside%2fsecret.txt",
        "/api/results/%2e%2e/outside/secret.txt",
        "/api/results/escape.txt",
        "/..%2f..%2fetc%2fpasswd",
      ]) {
        const r = await send(server, path);
        expect(r.status, path).to.equal(403);
        expect(r.body).to.not.contain("not for the browser");
      }
    });

    it("serves the pages with a Content-Security-Policy that forbids eval and other origins", async function () {
      const r = await send(server, "/");
      expect(r.status).to.equal(200);
      expect(r.body).to.contain("<title>t</title>");
      const csp = String(r.headers["content-security-policy"]);
      expect(csp).to.contain("default-src 'self'").and.contain("script-src 'self'").and.not.contain("unsafe-eval");
      expect((await send(server, "/no-such-page")).status).to.equal(404);
    });
  });

  describe("API", function () {
    it("publishes the deployment, the case's topology and the periods", async function () {
      const config = JSON.parse((await send(server, "/api/config")).body);
      expect(config.deployment.chainId).to.equal(31337);
      expect(config.chain).to.deep.equal({ ok: true });
      expect(config.caseName).to.equal("seed34");
      expect(config.results).to.equal(true);
      const topology = JSON.parse((await send(server, "/api/case")).body);
      expect(topology.buses).to.have.length(34);
      const index = JSON.parse((await send(server, "/api/periods")).body);
      expect(index).to.deep.equal([
        {
          period: 1000,
          start: 1_800_000,
          end: 1_801_800,
          stage: "studied",
          studyViolations: 3,
          actualViolations: null,
        },
      ]);
      expect(JSON.parse((await send(server, "/api/periods/1000")).body)).to.deep.equal(record);
      const missing = await send(server, "/api/periods/999");
      expect(missing.status).to.equal(404);
      expect(JSON.parse(missing.body).error).to.equal("no published results for period 999");
    });

    it("refuses requests addressed to another host (DNS rebinding) and POSTs from another origin", async function () {
      const r = await send(server, "/api/config", { headers: { Host: "attacker.example:80" } });
      expect(r.status).to.equal(403);
      const p = await rpcPost(
        server,
        { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
        { Origin: "http://attacker.example" },
      );
      expect(p.status).to.equal(403);
      expect((await send(server, "/api/demo/step", { method: "POST" })).status).to.equal(404);
    });
  });

  describe("JSON-RPC proxy", function () {
    it("passes read methods and raw transactions, single and batched", async function () {
      const one = JSON.parse(
        (await rpcPost(server, { jsonrpc: "2.0", id: 7, method: "eth_chainId", params: [] })).body,
      );
      expect(one).to.deep.equal({ jsonrpc: "2.0", id: 7, result: "0x7a69" });
      const batch = JSON.parse(
        (
          await rpcPost(server, [
            { jsonrpc: "2.0", id: 1, method: "eth_blockNumber" },
            { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: ["0x00"] },
          ])
        ).body,
      );
      expect(batch.map((a: { id: number }) => a.id)).to.deep.equal([1, 2]);
      expect(batch[1].result).to.equal("answer to eth_sendRawTransaction");
    });

    it("refuses what could spend a node's unlocked accounts or move a devnet's clock", async function () {
      for (const method of [
        "eth_sendTransaction",
        "eth_sign",
        "personal_sign",
        "evm_mine",
        "hardhat_setBalance",
        "debug_traceTransaction",
      ]) {
        const answer = JSON.parse((await rpcPost(server, { jsonrpc: "2.0", id: 1, method, params: [] })).body);
        expect(answer.error.code, method).to.equal(-32601);
        expect(answer.error.message).to.contain("not available through the dashboard");
      }
      expect((await rpcPost(server, "{not json")).status).to.equal(400);
      expect((await rpcPost(server, [])).status).to.equal(400);
    });

    it("names an unreachable endpoint in the error", async function () {
      const port = await closedPort();
      const backend = new HttpRpcBackend(`http://127.0.0.1:${port}`, 2000);
      const answer = await backend.call(1, "eth_chainId", []);
      expect("error" in answer && answer.error.code).to.equal(RPC_UNREACHABLE);
      expect("error" in answer && answer.error.message).to.equal(
        `the chain's RPC endpoint http://127.0.0.1:${port} cannot be reached (ECONNREFUSED)`,
      );
      expect(() => new HttpRpcBackend("ws://127.0.0.1:8545")).to.throw("must be an http:// or https:// URL");
    });
  });

  describe("chain checks", function () {
    it("says in plain words that the endpoint serves another chain than the deployment file's", async function () {
      const path = join(root, "deployment.json");
      const status = new ChainStatus(path, fakeRpc(1), () => {
        throw new Error("not reached: the chain id differs");
      });
      const { problem } = await status.check();
      expect(problem).to.equal(
        `Wrong chain: the deployment file ${path} is for chain 31337 (a Hardhat or Anvil devnet), but the RPC endpoint ` +
          "a fake node serves chain 1 (Ethereum mainnet). Start the dashboard with the deployment file of that chain, " +
          "or point --rpc at the right node.",
      );
    });

    it("says the chain cannot be reached, and that it keeps trying", async function () {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const status = new ChainStatus(join(root, "deployment.json"), new HttpRpcBackend(url, 2000), () => {
        throw new Error("not reached");
      });
      expect((await status.check()).problem).to.match(
        /^Cannot reach the chain: .*ECONNREFUSED.*The dashboard keeps trying\.$/,
      );
    });
  });

  describe("records", function () {
    it("draws seed34 from its case file: 34 buses, 35 lines with their 0.75 MW limit, three redispatch units", function () {
      const t = topologyOf(loadCase(SEED34));
      expect(t.buses).to.have.length(34);
      expect(t.branches).to.have.length(35);
      expect(t.branches.every((b) => b.limitMW === 0.75)).to.equal(true);
      expect(t.gens.filter((g) => g.unit).map((g) => g.bus)).to.deep.equal([2, 27, 34]);
      expect(t.buses.filter((b) => b.type === 3).map((b) => b.id)).to.deep.equal([1]);
    });
  });

  describe("the day simulation's results", function () {
    it("serves its records as they were written: a studied one, a delivered one, version-1 records as delivered", async function () {
      const dir = mkdtempSync(join(tmpdir(), "gridswap-dashboard-day-"));
      const studied = await studiedSeed34(990_020);
      // A version-1 day record (before stages and grid detail): delivered, with the summary only.
      const {
        stage: _stage,
        detail: _detail,
        ...v1
      } = { ...studied, chainPeriod: 990_019, chainStart: 990_019 * 1800 };
      const v1Delivered = { ...v1, violatedLinesActual: [], delivery: [] };
      writeFileSync(join(dir, "periods.json"), JSON.stringify({ recordVersion: 1, periods: [studied, v1Delivered] }));
      const results = new ResultsDirectory(dir);
      const [old, now] = results.records();
      expect(now).to.deep.equal(JSON.parse(JSON.stringify(studied)));
      expect(old.stage).to.equal("delivered");
      expect(old.detail).to.equal(null);
      expect(results.index()).to.deep.equal([
        {
          period: 990_019,
          start: 990_019 * 1800,
          end: 990_020 * 1800,
          stage: "delivered",
          studyViolations: 3,
          actualViolations: 0,
        },
        {
          period: 990_020,
          start: 990_020 * 1800,
          end: 990_021 * 1800,
          stage: "studied",
          studyViolations: 3,
          actualViolations: null,
        },
      ]);
    });

    it("refuses what is not a period record, naming the entry and the field", async function () {
      const dir = mkdtempSync(join(tmpdir(), "gridswap-dashboard-day-"));
      const path = join(dir, "periods.json");
      // The dashboard demo's own records of before #23 (period/start/end): written again by a new run.
      writeFileSync(path, JSON.stringify([{ case: "seed34", period: 1000, start: 1_800_000, end: 1_801_800 }]));
      expect(() => new ResultsDirectory(dir).records()).to.throw(/periods\.json\[0\]: not a period record/);
      const studied = await studiedSeed34(1000);
      writeFileSync(path, JSON.stringify([{ ...studied, stage: "planned" }]));
      expect(() => new ResultsDirectory(dir).records()).to.throw(/\[0\]\.stage must be "studied" or "delivered"/);
      writeFileSync(path, JSON.stringify([{ ...studied, periodMinutes: 0 }]));
      expect(() => new ResultsDirectory(dir).records()).to.throw(/\[0\]\.periodMinutes must be a positive integer/);
    });

    it("refuses period records of a newer version than it reads, saying which", function () {
      const dir = mkdtempSync(join(tmpdir(), "gridswap-dashboard-day-"));
      const periods = { recordVersion: PERIOD_RECORD_VERSION + 1, lines: [], generators: [], periods: [] };
      writeFileSync(join(dir, "periods.json"), JSON.stringify(periods));
      expect(() => new ResultsDirectory(dir).records()).to.throw(
        new RegExp(
          `records of version ${PERIOD_RECORD_VERSION + 1}; this dashboard reads version ${PERIOD_RECORD_VERSION}`,
        ),
      );
    });
  });

  describe("build", function () {
    it("rebuilds when the build is missing or older than a source, not otherwise", function () {
      const repo = mkdtempSync(join(tmpdir(), "gridswap-dashboard-build-"));
      mkdirSync(join(repo, "dashboard", "src"), { recursive: true });
      writeFileSync(join(repo, "dashboard", "src", "main.ts"), "");
      expect(staleBuildReason(repo)).to.equal("no build yet");
      mkdirSync(join(repo, "dashboard", "dist"), { recursive: true });
      const built = join(repo, "dashboard", "dist", "index.html");
      writeFileSync(built, "");
      const now = Date.now() / 1000;
      utimesSync(join(repo, "dashboard", "src", "main.ts"), now - 100, now - 100);
      utimesSync(built, now - 50, now - 50);
      expect(staleBuildReason(repo)).to.equal(undefined);
      utimesSync(join(repo, "dashboard", "src", "main.ts"), now, now);
      expect(staleBuildReason(repo)).to.equal("dashboard/src changed since the last build");
    });
  });
});
