/**
 * Wallets for agents: a private key from an environment variable or an encrypted JSON keystore
 * (ethers v6). Every failure names what is wrong without echoing the secret.
 */
import { readFileSync } from "node:fs";
import { Wallet, type HDNodeWallet, type Provider } from "ethers";
import { ConfigurationError } from "./errors";

export interface WalletSource {
  /** Name of the environment variable holding a 0x-prefixed 32-byte hex private key. */
  readonly privateKeyEnv?: string;
  /** Path of an encrypted JSON keystore, and the variable holding its password. */
  readonly keystore?: string;
  readonly passwordEnv?: string;
}

/** A key or keystore setting that cannot give a wallet. */
export class WalletConfigError extends ConfigurationError {}

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

/**
 * A role's wallet from the environment: `<ROLE>_KEY` (0x + 64 hex digits) or `<ROLE>_KEYSTORE`
 * (an encrypted JSON keystore) with `<ROLE>_PASSWORD` — one of the two, named in every error.
 */
export async function roleWallet(role: string, provider: Provider): Promise<Wallet | HDNodeWallet> {
  const keyVar = `${role}_KEY`;
  const keystoreVar = `${role}_KEYSTORE`;
  const keystore = process.env[keystoreVar];
  if (keystore && process.env[keyVar]) throw new WalletConfigError(`set ${keyVar} or ${keystoreVar}, not both`);
  if (keystore) return loadWallet({ keystore, passwordEnv: `${role}_PASSWORD` }, provider);
  if (!process.env[keyVar]) {
    throw new WalletConfigError(`${keyVar} is not set (or set ${keystoreVar} and ${role}_PASSWORD)`);
  }
  return loadWallet({ privateKeyEnv: keyVar }, provider);
}

/** Several keys from one variable, comma-separated (e.g. ORACLE_KEYS=0x…,0x…): each must be a private key. */
export function walletsFromList(variable: string, provider: Provider): Wallet[] {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === "") throw new WalletConfigError(`${variable} is not set`);
  return raw.split(",").map((key, i) => {
    const k = key.trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(k)) {
      throw new WalletConfigError(
        `${variable}: key ${i + 1} is not a private key (expected 0x followed by 64 hex digits)`,
      );
    }
    try {
      return new Wallet(k, provider);
    } catch {
      throw new WalletConfigError(`${variable}: key ${i + 1} is not a valid secp256k1 private key`);
    }
  });
}
