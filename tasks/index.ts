/**
 * Hardhat tasks for people at a terminal (`npx hardhat gridswap:<task> --network <name>`): deploy,
 * register, issue, mint, fund, deposit, withdraw, period, offers, fill, balances, history, advance.
 *
 * Loaded by hardhat.config.ts before typechain-types exist on a fresh clone: the task files import
 * typechain-types and oracle/ only inside their actions (see tasks/common.ts).
 */
import "./admin";
import "./vault";
import "./market";
import "./views";
import "./devnet";

export { preflightProblem, entryTask, selectedNetwork } from "./common";
