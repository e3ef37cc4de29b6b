/**
 * Deployed addresses per network, in deployments/<network>.json, written by deploy and read by
 * every later command. Reading checks the chain id and that each address holds code.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isAddress, type Provider } from "ethers";

export interface DeploymentFile {
  readonly network: string;
  readonly chainId: number;
  readonly deployedAt: string;
  readonly addresses: { registry: string; usd: string; kwh: string; oracle: string; market: string };
}

export class DeploymentError extends Error {}

export const deploymentPath = (network: string, root = process.cwd()): string =>
  join(root, "deployments", `${network}.json`);

/** Writes atomically (temp file + rename): a crash never leaves a half-written file. */
export function writeDeployment(file: DeploymentFile, root = process.cwd()): string {
  const path = deploymentPath(file.network, root);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

export async function readDeployment(
  network: string,
  provider: Provider,
  root = process.cwd(),
): Promise<DeploymentFile> {
  const path = deploymentPath(network, root);
  if (!existsSync(path))
    throw new DeploymentError(`no deployment for network '${network}' (${path}): run the deploy task first`);
  let file: DeploymentFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as DeploymentFile;
  } catch (e) {
    throw new DeploymentError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  const { chainId } = await provider.getNetwork();
  if (BigInt(file.chainId) !== chainId) {
    throw new DeploymentError(`${path} is for chain ${file.chainId}, but the RPC endpoint is chain ${chainId}`);
  }
  for (const [name, address] of Object.entries(file.addresses ?? {})) {
    if (!isAddress(address)) throw new DeploymentError(`${path}: ${name} address '${address}' is not an address`);
    if ((await provider.getCode(address)) === "0x") {
      throw new DeploymentError(
        `${path}: no contract at ${name} ${address} on chain ${chainId} (was the node restarted?)`,
      );
    }
  }
  return file;
}
