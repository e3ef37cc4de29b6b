/** The gas a simulated day's transactions used, read from the blocks, by contract function. */
import { Interface, type Provider } from "ethers";
import type { World } from "./world";

/** Gas of the world's transactions in blocks since a given one, by contract function. */
export class GasMeter {
  private readonly senders: Set<string>;
  private readonly interfaces = new Map<string, Interface>();

  constructor(
    private readonly provider: Provider,
    world: World,
    funder?: string,
  ) {
    const a = world.accounts;
    this.senders = new Set(
      [
        a.admin,
        a.centre,
        a.registrar,
        a.issuer,
        a.treasury,
        ...a.oracleSigners,
        ...world.generators.map((g) => g.wallet),
      ]
        .map((w) => w.address.toLowerCase())
        .concat(funder ? [funder.toLowerCase()] : []),
    );
    for (const c of Object.values(world.contracts)) {
      this.interfaces.set(String(c.target).toLowerCase(), c.interface as unknown as Interface);
    }
  }

  async since(fromBlock: number): Promise<{ total: number; byFunction: Record<string, number> }> {
    const latest = await this.provider.getBlockNumber();
    let total = 0;
    const byFunction: Record<string, number> = {};
    for (let n = fromBlock; n <= latest; n++) {
      const block = await this.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (!this.senders.has(tx.from.toLowerCase())) continue;
        const receipt = await this.provider.getTransactionReceipt(tx.hash);
        const gas = Number(receipt?.gasUsed ?? 0n);
        total += gas;
        const name = this.functionName(tx.to, tx.data);
        byFunction[name] = (byFunction[name] ?? 0) + gas;
      }
    }
    return { total, byFunction };
  }

  private functionName(to: string | null, data: string): string {
    if (to === null) return "deploy";
    if (data === "0x") return "gas funding";
    const iface = this.interfaces.get(to.toLowerCase());
    return iface?.parseTransaction({ data })?.name ?? "other";
  }
}

export const addGas = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};
