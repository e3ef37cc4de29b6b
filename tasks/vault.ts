/**
 * The market's vault from a terminal: gridswap:deposit and gridswap:withdraw move USD (the centre's
 * payments) or kWh (a generator's commitments) between a wallet and its free balance in the
 * market. Fills and offers draw only on free balances.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  connectDeployment,
  fail,
  fmtKwh,
  fmtUsd,
  gridswapTask,
  MAX_KWH_WH,
  MAX_USD_UNITS,
  parseAddress,
  parseUnitsExact,
  requireGas,
  roleSigner,
  sent,
  walletFrom,
  WALLET_OPTIONS,
  type Connected,
  type WalletArgs,
  chain,
} from "./common";

interface VaultArgs extends WalletArgs {
  usd?: string;
  kwh?: string;
  as?: string;
  to?: string;
}

/** Which asset and how much, in the token's units (USD · 1e8 or Wh). */
function amountOf(args: VaultArgs): { asset: "usd" | "kwh"; units: bigint; text: string } {
  if ((args.usd === undefined) === (args.kwh === undefined)) fail("give one amount: --usd X or --kwh X");
  if (args.usd !== undefined) {
    const units = parseUnitsExact(args.usd, "--usd", "USD", 8, MAX_USD_UNITS);
    return { asset: "usd", units, text: `${fmtUsd(units)} USD` };
  }
  const units = parseUnitsExact(args.kwh, "--kwh", "kWh", 3, MAX_KWH_WH);
  return { asset: "kwh", units, text: `${fmtKwh(units)} kWh` };
}

/** --as centre (the deployment's centre), or a wallet flag; by default the centre for USD, GENERATOR_KEY for kWh. */
async function vaultWallet(hre: HardhatRuntimeEnvironment, c: Connected, args: VaultArgs, asset: "usd" | "kwh") {
  const walletGiven = [args.keyEnv, args.keystore, args.accountIndex].some((x) => x !== undefined && x !== "");
  if (args.as !== undefined) {
    if (args.as !== "centre")
      fail(`--as must be 'centre' (or use --key-env/--keystore/--account-index), got '${args.as}'`);
    if (walletGiven) fail("--as centre and a wallet flag exclude each other");
    return roleSigner(hre, c, "centre", c.roles?.centres[0]);
  }
  if (!walletGiven && asset === "usd") return roleSigner(hre, c, "centre", c.roles?.centres[0]);
  return walletFrom(hre, args, "GENERATOR");
}

const OPTIONS = [
  { name: "usd", description: "Amount of USD (up to 8 decimals)" },
  { name: "kwh", description: "Amount of kWh commitment capacity (up to 3 decimals)" },
  { name: "as", description: "'centre': the deployment's centre (CENTRE_KEY or its dev account)" },
  ...WALLET_OPTIONS,
];

gridswapTask<VaultArgs>(
  "deposit",
  "Deposits USD or kWh from a wallet into its free balance in the market's vault (approve + deposit)",
  OPTIONS,
  async (args, hre) => {
    const { asset, units, text } = amountOf(args);
    const c = await connectDeployment(hre);
    const wallet = await vaultWallet(hre, c, args, asset);
    const address = await wallet.getAddress();
    await requireGas(hre, address, "the wallet");
    const token = asset === "usd" ? c.contracts.usd : c.contracts.kwh;
    const held = await token.balanceOf(address);
    if (held < units) {
      const have = asset === "usd" ? `${fmtUsd(held)} USD` : `${fmtKwh(held)} kWh`;
      fail(
        `${address} holds ${have} in its wallet, less than ${text} (${asset === "usd" ? "gridswap:mint" : "gridswap:issue"})`,
      );
    }
    const { Asset } = await chain(hre);
    const market = await c.contracts.market.getAddress();
    if ((await token.allowance(address, market)) < units) await sent(token.connect(wallet).approve(market, units));
    const tx = await sent(c.contracts.market.connect(wallet).deposit(asset === "usd" ? Asset.Usd : Asset.Kwh, units));
    const [usd, kwh] = await c.contracts.market.balancesOf(address);
    console.log(
      `deposited ${text} for ${address}; its free balance: ${fmtUsd(usd)} USD, ${fmtKwh(kwh)} kWh (tx ${tx.hash}, ${tx.gas} gas)`,
    );
  },
);

gridswapTask<VaultArgs>(
  "withdraw",
  "Withdraws USD or kWh from a free balance in the market's vault to a wallet",
  [...OPTIONS, { name: "to", description: "Receiving address (default: the wallet itself)" }],
  async (args, hre) => {
    const { asset, units, text } = amountOf(args);
    const c = await connectDeployment(hre);
    const wallet = await vaultWallet(hre, c, args, asset);
    const address = await wallet.getAddress();
    const to = args.to === undefined ? address : parseAddress(hre, args.to, "--to");
    const [freeUsd, freeKwh] = await c.contracts.market.balancesOf(address);
    const free = asset === "usd" ? freeUsd : freeKwh;
    if (free < units) {
      const have = asset === "usd" ? `${fmtUsd(free)} USD` : `${fmtKwh(free)} kWh`;
      fail(`${address} has ${have} free in the vault, less than ${text}`);
    }
    const { Asset } = await chain(hre);
    const tx = await sent(
      c.contracts.market.connect(wallet).withdraw(asset === "usd" ? Asset.Usd : Asset.Kwh, units, to),
    );
    console.log(`withdrew ${text} of ${address} to ${to} (tx ${tx.hash}, ${tx.gas} gas)`);
  },
);
