/**
 * gridswap:advance — development chains only (Hardhat's network, `hardhat node`, Anvil): moves the
 * chain clock to a few seconds after the start of a later period and mines a block there, so a
 * walk through a trade need not wait 30 minutes per period.
 */
import { connectDeployment, fail, gridswapTask, isoTime, parseInteger } from "./common";

interface AdvanceArgs {
  periods?: string;
  offsetSeconds?: string;
}

gridswapTask<AdvanceArgs>(
  "advance",
  "Devnets only: moves chain time to the start of a later period (evm_setNextBlockTimestamp + evm_mine)",
  [
    { name: "periods", description: "How many period starts ahead (default 1: the next period)" },
    { name: "offsetSeconds", description: "Seconds after that period's start (default 5)" },
  ],
  async (args, hre) => {
    const periods =
      args.periods === undefined ? 1 : parseInteger(args.periods, "--periods", "a number of periods", 1, 10_000);
    const c = await connectDeployment(hre);
    const p = c.file.periodSeconds;
    const offset =
      args.offsetSeconds === undefined
        ? 5
        : parseInteger(args.offsetSeconds, "--offset-seconds", "a number of seconds", 0, p - 1);
    const now = (await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
    const target = (Math.floor(now / p) + periods) * p + offset;
    try {
      await hre.ethers.provider.send("evm_setNextBlockTimestamp", [target]);
      await hre.ethers.provider.send("evm_mine", []);
    } catch (e) {
      fail(
        `network '${hre.network.name}' cannot move its clock (not a development chain?): ${(e as Error).message.split("\n")[0]}`,
      );
    }
    console.log(`chain time ${isoTime(now)} → ${isoTime(target)}: period ${Math.floor(target / p)}`);
  },
);
