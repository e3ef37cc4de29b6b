/**
 * Wallets for agents: a private key from an environment variable or an encrypted JSON keystore
 * (ethers v6). Every failure names what is wrong without echoing the secret.
 */
import { readFileSync } from "node:fs";
import { Wallet, type HDNodeWallet, type Provider } from "ethers";

export interface WalletSource {
  /** Name of the environment variable holding a 0x-prefixed 32-byte hex private key. */
  readonly privateKeyEnv?: string;
  /** Path of an encrypted JSON keystore, and the variable holding its password. */
  readonly keystore?: string;
  readonly passwordEnv?: string;
}

export class WalletConfigError extends Error {}

export async function loadWallet(source: WalletSource, provider: Provider): Promise<Wallet | HDNodeWallet> {
  const env = process.env;
  if (source.keystore !== undefined) {
    let json: string;
    try {
      json = readFileSync(source.keystore, "utf8");
    } catch (e) {
      throw new WalletConfigError(`cannot read keystore ${source.keystore}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const passwordVar = source.passwordEnv ?? "KEYSTORE_PASSWORD";
    const password = env[passwordVar];
    if (password === undefined)
      throw new WalletConfigError(`${passwordVar} is not set (password of ${source.keystore})`);
    try {
      return (await Wallet.fromEncryptedJson(json, password)).connect(provider);
    } catch (e) {
      const reason = /password/i.test((e as Error).message) ? "wrong password" : "not a valid encrypted JSON keystore";
      throw new WalletConfigError(`cannot decrypt keystore ${source.keystore}: ${reason}`);
    }
  }
  const keyVar = source.privateKeyEnv ?? "PRIVATE_KEY";
  const key = env[keyVar];
  if (key === undefined || key === "") throw new WalletConfigError(`${keyVar} is not set`);
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new WalletConfigError(`${keyVar} is not a private key: expected 0x followed by 64 hex digits`);
  }
  try {
    return new Wallet(key, provider);
  } catch {
    throw new WalletConfigError(`${keyVar} is not a valid secp256k1 private key`);
  }
}
