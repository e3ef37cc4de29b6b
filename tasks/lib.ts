/**
 * The chain and agent modules the gridswap tasks use, in one entry point that tools/run.js
 * compiles into build/ (tsconfig.build.json): tasks load build/tasks/lib.js instead of compiling
 * this TypeScript (and the large typechain factories) with ts-node on every command.
 */
export { loadCase } from "../oracle";
export { CentreAgent } from "../oracle/agents/centre";
export { FileMeterSource, HttpMeterSource } from "../oracle/agents/metering";
export { CommittedDeliveryMeters } from "../oracle/agents/simulation";
export { OracleOperator } from "../oracle/agents/oracle/operator";
export { eventsIn, filledWh, filledWhByOffer, readMarketEvents } from "../oracle/chain/board";
export { checkSeparateRoles, deployBidBook, deployGridSwap, deploymentAddresses } from "../oracle/chain/deploy";
export { deploymentPath, openDeployment, writeDeployment } from "../oracle/chain/deployments";
export { queryLogs } from "../oracle/chain/logs";
export { Asset, BaselineMethod, BookState, Direction, enumName, OfferStatus, Quality } from "../oracle/chain/enums";
export { ConfigurationError, describeChainError } from "../oracle/chain/errors";
export { bookKeyId, offerFromStruct, offerStruct, toJsonObject } from "../oracle/chain/market-data";
export { findMeasurementProof } from "../oracle/chain/measurement-proofs";
export { loadWallet, roleWallet, walletsFromList } from "../oracle/chain/wallet";
