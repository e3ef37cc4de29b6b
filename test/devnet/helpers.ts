/**
 * Running documented shell blocks as written (README.md's devnet recipe, docs/integrating.md's
 * cast sequence): find a marked block, give it a sandbox directory that links the project's files
 * (so its deployments/ and .gridswap/ stay out of the working tree), and run it in bash -e.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
export const BLOCK_TIMEOUT_MS = 600_000;

/** The fenced sh block right after `<!-- marker -->` in `file` (relative to the project root). */
export function markedBlock(file: string, marker: string): string {
  const text = readFileSync(join(ROOT, file), "utf8");
  const at = text.indexOf(`<!-- ${marker} -->`);
  if (at < 0) throw new Error(`${file} has no <!-- ${marker} --> block`);
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`${file}: no sh block after <!-- ${marker} -->`);
  return m[1];
}

/** A node's line of the README: its environment assignments and arguments (host options dropped: the test binds 127.0.0.1 itself). */
export function nodeLine(block: string, command: string): { env: Record<string, string>; args: string[] } {
  const line = block.split("\n").find((l) => l.includes(command));
  if (!line) throw new Error(`README.md devnet-nodes block has no '${command}' line`);
  const words = line.replace(/#.*$/, "").trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [k, v] = words.shift()!.split("=");
    env[k] = v;
  }
  const rest = words.slice(command.split(" ").length);
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--host" || rest[i] === "--hostname") i++;
    else args.push(rest[i]);
  }
  return { env, args };
}

/** A directory whose entries link to the project's, so the block's relative paths land there. */
export function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), "gridswap-devnet-"));
  const entries = [
    "package.json",
    "hardhat.config.ts",
    "tsconfig.json",
    "tsconfig.build.json",
    "node_modules",
    "tasks",
    "oracle",
    "scripts",
    "tools",
    "cases",
    "data",
    "abi",
    "contracts",
    "artifacts",
    "cache",
    "typechain-types",
  ];
  for (const e of entries) symlinkSync(join(ROOT, e), join(dir, e));
  return dir;
}

/** The block in bash -e -o pipefail; stdout and stderr kept for the assertion message. */
export function runBlock(
  block: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^((ORACLE|CENTRE|GENERATOR|REGISTRAR|ISSUER|TREASURY)_(KEY|KEYS|KEYSTORE|PASSWORD)|ORACLE_KEYS|RPC_URL|PRIVATE_KEY|HARDHAT_NETWORK|GRIDSWAP_DEPLOYMENTS_DIR)$/.test(
        k,
      )
    )
      continue;
    clean[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", block], {
      cwd,
      env: { ...clean, CI: "true", HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), BLOCK_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
