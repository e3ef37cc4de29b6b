// Coverage gate, run by `npm run coverage` after `hardhat coverage`: reads
// coverage/coverage-summary.json (istanbul's json-summary reporter, enabled in .solcover.js) and
// fails unless lines AND branches are at least 95% for every Solidity file under contracts/
// except the test-only contracts/mocks/ and contracts/test/. Prints every file's figures, then one line per shortfall.
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { isAbsolute, join, relative, sep } = require("node:path");

const MINIMUM = 95; // percent, for lines and for branches
const ROOT = join(__dirname, "..");
const SUMMARY = join(ROOT, "coverage", "coverage-summary.json");

if (!existsSync(SUMMARY)) {
  console.error(`check-coverage: ${relative(ROOT, SUMMARY)} not found; run \`hardhat coverage\` first`);
  process.exit(1);
}

const summary = JSON.parse(readFileSync(SUMMARY, "utf8"));
const toPosix = (p) => p.split(sep).join("/");
const TEST_ONLY = ["contracts/mocks/", "contracts/test/"];
const isTestOnly = (path) => TEST_ONLY.some((dir) => path.startsWith(dir));
const files = Object.keys(summary)
  .filter((key) => key !== "total")
  .map((key) => ({ key, path: toPosix(isAbsolute(key) ? relative(ROOT, key) : key) }))
  .filter(({ path }) => path.startsWith("contracts/") && path.endsWith(".sol") && !isTestOnly(path))
  .sort((a, b) => a.path.localeCompare(b.path));

/** Solidity sources on disk under `dir` (relative, POSIX separators), mocks excluded. */
function sources(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return isTestOnly(`${path}/`) ? [] : sources(path);
    return entry.name.endsWith(".sol") ? [path] : [];
  });
}

// A contract missing from the summary (e.g. skipped by mistake) is a shortfall too.
const shortfalls = sources("contracts")
  .filter((path) => !files.some((f) => f.path === path))
  .map((path) => `${path}: not in the coverage summary`);

if (files.length === 0) {
  console.error("check-coverage: no files under contracts/ in the coverage summary");
  process.exit(1);
}

/** "pct% (covered/total)"; a file with nothing of that kind (e.g. an interface) counts as covered. */
function figure(metric) {
  if (metric.total === 0) return { pct: 100, text: "n/a (0/0)" };
  const pct = (100 * metric.covered) / metric.total;
  return { pct, text: `${pct.toFixed(2)}% (${metric.covered}/${metric.total})` };
}

const width = Math.max(...files.map((f) => f.path.length));
console.log(`Coverage (minimum ${MINIMUM}% lines and branches; ${TEST_ONLY.join(" and ")} excluded):`);
for (const { key, path } of files) {
  const entry = summary[key];
  const row = {};
  for (const kind of ["lines", "branches", "functions", "statements"]) row[kind] = figure(entry[kind]);
  console.log(
    `  ${path.padEnd(width)}  lines ${row.lines.text.padEnd(20)} branches ${row.branches.text.padEnd(20)} ` +
      `functions ${row.functions.text.padEnd(20)} statements ${row.statements.text}`,
  );
  for (const kind of ["lines", "branches"]) {
    if (row[kind].pct < MINIMUM) shortfalls.push(`${path}: ${kind} ${row[kind].text} < ${MINIMUM}%`);
  }
}

if (shortfalls.length > 0) {
  for (const line of shortfalls) console.error(`check-coverage: FAIL ${line}`);
  process.exit(1);
}
console.log(`check-coverage: OK (${files.length} files)`);
