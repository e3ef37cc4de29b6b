// solidity-coverage settings for `npm run coverage` (hardhat coverage + tools/check-coverage.js).
// Compilation goes through the same compile task as `hardhat compile`, so hardhat.config.ts's
// override (solc-js from the npm `solc` package, no download) applies here too.
module.exports = {
  // Test-only contracts (mock tokens, the GridSwapMath harness) are not measured (paths relative to contracts/).
  skipFiles: ["mocks/", "test/"],
  // json-summary is what tools/check-coverage.js reads; text prints the table.
  istanbulReporter: ["html", "lcov", "text", "json", "json-summary"],
};
