/**
 * Hardhat tasks for people at a terminal (`npx hardhat <task> --network <name>`): deploy,
 * register/issue/mint, run one period, list offers, accept an offer, balances and history.
 */
import "./market";
