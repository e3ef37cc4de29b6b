/**
 * Is the chain behind /rpc the deployment's? Asked on every /api/config (answers cached for a
 * few seconds), so the pages show a plain-language problem while the node is down or wrong and
 * recover by themselves once it is right: the endpoint must answer, be the deployment file's
 * chain, and pass the one connector's checks (oracle/chain/deployments.ts `openDeployment`:
 * code at every address, the oracle's period length).
 */
import type { Provider } from "ethers";
import { openDeployment, readDeploymentFile, type DeploymentFile } from "../../oracle/chain/deployments";
import { chainName } from "../shared/chains";
import type { RpcBackend } from "./rpc";

export interface ChainCheck {
  readonly deployment: DeploymentFile;
  /** Undefined when everything is as the deployment file says. */
  readonly problem?: string;
}

export class ChainStatus {
  private cached?: { at: number; result: Promise<ChainCheck> };

  constructor(
    readonly deploymentPath: string,
    private readonly rpc: RpcBackend,
    /** A provider on the same endpoint for the connector's checks, for a chain id already confirmed. */
    private readonly providerFor: (chainId: number) => Provider,
    private readonly cacheMs = 3_000,
  ) {}

  check(): Promise<ChainCheck> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.cacheMs) {
      this.cached = { at: now, result: this.run() };
    }
    return this.cached.result;
  }

  private async run(): Promise<ChainCheck> {
    const deployment = readDeploymentFile(this.deploymentPath);
    const answer = await this.rpc.call(1, "eth_chainId", []);
    if ("error" in answer) {
      return {
        deployment,
        problem: `Cannot reach the chain: ${answer.error.message}. Is the node running? The dashboard keeps trying.`,
      };
    }
    const chainId = Number(BigInt(answer.result as string));
    if (chainId !== deployment.chainId) {
      return {
        deployment,
        problem:
          `Wrong chain: the deployment file ${this.deploymentPath} is for ${chainName(deployment.chainId)}, ` +
          `but the RPC endpoint ${this.rpc.description} serves ${chainName(chainId)}. ` +
          `Start the dashboard with the deployment file of that chain, or point --rpc at the right node.`,
      };
    }
    try {
      await openDeployment(this.deploymentPath, this.providerFor(chainId));
      return { deployment };
    } catch (e) {
      return { deployment, problem: `The deployment does not match the chain: ${(e as Error).message}` };
    }
  }
}
