// Runs solhint on every Solidity source. solhint exits with an error when its glob matches
// nothing, so an empty contracts/ tree is reported and treated as clean.
const { spawnSync } = require("node:child_process");
const { readdirSync } = require("node:fs");
const { join } = require("node:path");

function solidityFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? solidityFiles(join(dir, entry.name))
      : entry.name.endsWith(".sol")
        ? [join(dir, entry.name)]
        : [],
  );
}

const files = solidityFiles("contracts");
if (files.length === 0) {
  console.log("lint:sol: no Solidity sources under contracts/");
  process.exit(0);
}
const result = spawnSync("npx", ["solhint", "--max-warnings", "0", "--disc", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
