/**
 * A generator's wallet in the page: an injected EIP-1193 wallet (a browser extension, or the
 * tests' injected provider) through ethers' BrowserProvider, or — on a development chain only — a
 * local key held in this tab (ethers Wallet on the server's /rpc).
 */
import { BrowserProvider, Wallet, type JsonRpcProvider, type Signer } from "ethers";

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

export interface ConnectedWallet {
  readonly address: string;
  readonly signer: Signer;
  readonly source: "browser wallet" | "local devnet key";
  /** The chain the wallet signs for (an injected wallet may be elsewhere). */
  chainId: number;
  readonly injected?: Eip1193Provider;
}

/** Chains on which the page offers a local key: Hardhat/Anvil (31337) and local devnets (1337). */
export const DEVNET_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

export const hasInjectedWallet = (): boolean => typeof window.ethereum?.request === "function";

export async function connectInjected(): Promise<ConnectedWallet> {
  const injected = window.ethereum;
  if (!injected) throw new Error("No browser wallet found: install one (an EIP-1193 wallet) or use a devnet key.");
  const accounts = (await injected.request({ method: "eth_requestAccounts" })) as string[];
  if (!Array.isArray(accounts) || accounts.length === 0) throw new Error("The wallet shared no account.");
  const chainId = Number(BigInt((await injected.request({ method: "eth_chainId" })) as string));
  // "any": the wallet may switch chains while the page is open; the page checks before each send.
  const provider = new BrowserProvider(injected, "any");
  const signer = await provider.getSigner(accounts[0]);
  return { address: await signer.getAddress(), signer, source: "browser wallet", chainId, injected };
}

export function connectLocalKey(privateKey: string, provider: JsonRpcProvider, chainId: number): ConnectedWallet {
  const key = privateKey.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) {
    throw new Error("A private key is 64 hexadecimal digits (with or without 0x).");
  }
  const wallet = new Wallet(key.startsWith("0x") ? key : `0x${key}`, provider);
  return { address: wallet.address, signer: wallet, source: "local devnet key", chainId };
}

/** Asks an injected wallet to switch to `chainId` (EIP-3326). */
export async function switchChain(w: ConnectedWallet, chainId: number): Promise<void> {
  if (!w.injected) return;
  await w.injected.request({
    method: "wallet_switchEthereumChain",
    params: [{ chainId: `0x${chainId.toString(16)}` }],
  });
  w.chainId = Number(BigInt((await w.injected.request({ method: "eth_chainId" })) as string));
}
