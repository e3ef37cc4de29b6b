/**
 * A test EIP-1193 wallet injected into the page with Playwright's `addInitScript`, so the
 * dashboard's "connect browser wallet" path is the real one: the page sees `window.ethereum`,
 * asks for accounts and the chain id, and sends transactions; signing happens in the test
 * process with an ethers Wallet holding a devnet key (exposed to the page as one function).
 * Reads go to the dashboard's own /rpc, as a wallet's would go to its node.
 *
 * Options make it misbehave as real wallets do: report another chain, or reject every request
 * to sign (EIP-1193 error 4001).
 */
import { getBytes, type JsonRpcProvider, type TypedDataField, Wallet } from "ethers";
import type { Page } from "@playwright/test";

export interface TestWalletOptions {
  readonly privateKey: string;
  /** Where transactions are sent (the dashboard's /rpc). */
  readonly provider: JsonRpcProvider;
  /** The chain the wallet says it is on. */
  readonly chainId: number;
  /** Reject every signing request as a person clicking "Reject" would. */
  readonly reject?: boolean;
}

export interface TestWallet {
  readonly address: string;
  /** Transactions sent, in order (hashes). */
  readonly sent: string[];
}

export async function injectTestWallet(page: Page, o: TestWalletOptions): Promise<TestWallet> {
  const wallet = new Wallet(o.privateKey, o.provider);
  const sent: string[] = [];
  let chainId = o.chainId;
  await page.exposeFunction("__gridswapTestWallet", async (method: string, paramsJson: string): Promise<string> => {
    const params = JSON.parse(paramsJson) as unknown[];
    const rejected = JSON.stringify({ error: { code: 4001, message: "User rejected the request." } });
    try {
      switch (method) {
        case "eth_chainId":
          return JSON.stringify({ result: `0x${chainId.toString(16)}` });
        case "wallet_switchEthereumChain": {
          if (o.reject) return rejected;
          chainId = Number(BigInt((params[0] as { chainId: string }).chainId));
          return JSON.stringify({ result: null });
        }
        case "eth_sendTransaction": {
          if (o.reject) return rejected;
          const tx = params[0] as { to?: string; data?: string; value?: string; gas?: string };
          const response = await wallet.sendTransaction({
            to: tx.to,
            data: tx.data,
            value: tx.value === undefined ? undefined : BigInt(tx.value),
            gasLimit: tx.gas === undefined ? undefined : BigInt(tx.gas),
          });
          sent.push(response.hash);
          return JSON.stringify({ result: response.hash });
        }
        case "personal_sign": {
          if (o.reject) return rejected;
          return JSON.stringify({ result: await wallet.signMessage(getBytes(params[0] as string)) });
        }
        case "eth_signTypedData_v4": {
          if (o.reject) return rejected;
          const typed = JSON.parse(params[1] as string) as {
            domain: Record<string, unknown>;
            types: Record<string, TypedDataField[]>;
            message: Record<string, unknown>;
          };
          const types = { ...typed.types };
          delete types.EIP712Domain;
          return JSON.stringify({ result: await wallet.signTypedData(typed.domain, types, typed.message) });
        }
        default:
          return JSON.stringify({ error: { code: 4200, message: `the test wallet does not support ${method}` } });
      }
    } catch (e) {
      return JSON.stringify({ error: { code: -32603, message: (e as Error).message } });
    }
  });
  await page.addInitScript((address: string) => {
    type Listener = (...args: unknown[]) => void;
    const listeners: Record<string, Listener[]> = {};
    const binding = (globalThis as unknown as { __gridswapTestWallet(m: string, p: string): Promise<string> })
      .__gridswapTestWallet;
    const fail = (error: { code: number; message: string; data?: unknown }): never => {
      const e = new Error(error.message) as Error & { code: number; data?: unknown };
      e.code = error.code;
      e.data = error.data;
      throw e;
    };
    const ethereum = {
      isGridSwapTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
        if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
        const signing = [
          "eth_chainId",
          "eth_sendTransaction",
          "personal_sign",
          "eth_signTypedData_v4",
          "wallet_switchEthereumChain",
        ];
        if (signing.includes(method)) {
          const answer = JSON.parse(await binding(method, JSON.stringify(params ?? [])));
          if (answer.error) fail(answer.error);
          if (method === "wallet_switchEthereumChain") {
            const id = JSON.parse(await binding("eth_chainId", "[]")).result;
            for (const l of listeners.chainChanged ?? []) l(id);
          }
          return answer.result;
        }
        const response = await fetch("rpc", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }),
        });
        const body = (await response.json()) as {
          result?: unknown;
          error?: { code: number; message: string; data?: unknown };
        };
        if (body.error) fail(body.error);
        return body.result;
      },
      on(event: string, listener: Listener): void {
        (listeners[event] ??= []).push(listener);
      },
      removeListener(event: string, listener: Listener): void {
        listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
      },
    };
    (globalThis as unknown as { ethereum: typeof ethereum }).ethereum = ethereum;
  }, wallet.address);
  return { address: wallet.address, sent };
}
