/**
 * Hardhat tasks for people at a terminal (`npx hardhat <task> --network <name>`): deploy,
 * register/issue/mint, run one period, list offers, accept an offer, balances and history.
 *
 * Loaded by hardhat.config.ts before typechain-types exist on a fresh clone: the task files import
 * typechain-types and oracle/ only inside their actions (see tasks/common.ts).
 */
import "./admin";
import "./market";
import "./views";
