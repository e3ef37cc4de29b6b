// Day gate, run by .ci/run after `npm run simulate`: reads a simulated day's directory and fails
// unless it is whole and its figures hang together — summary.json has every field the issue names
// (numbers, on-chain figures present), the periods asked for were run, cleared ≤ congested, no
// position left open, the delivery ratio in [0, 1], the on-chain balances equal the settlements
// (conservation), one CSV row per period, and every plot and report.html non-empty.
//   node tools/check-day.js <dir> [expected periods]
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

const [dir, expected] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node tools/check-day.js <day directory> [expected periods]");
  process.exit(1);
}
const problems = [];
const file = (name) => join(dir, name);
if (!existsSync(file("summary.json"))) {
  console.error(`check-day: ${file("summary.json")} not found`);
  process.exit(1);
}
const s = JSON.parse(readFileSync(file("summary.json"), "utf8"));
const FIELDS = [
  "periods",
  "congestedPeriods",
  "clearedPeriods",
  "unmetLimits",
  "redispatchCostUsd",
  "usdPaid",
  "kwhMoved",
  "deliveryRatio",
  "gasTotal",
  "gasPerTrade",
  "wallSeconds",
];
for (const f of FIELDS) {
  if (typeof s[f] !== "number" || !Number.isFinite(s[f]))
    problems.push(`${f} is ${JSON.stringify(s[f])}, not a number`);
}
if (expected !== undefined && s.periods !== Number(expected))
  problems.push(`${s.periods} periods, expected ${expected}`);
if (!(s.clearedPeriods <= s.congestedPeriods))
  problems.push(`cleared ${s.clearedPeriods} > congested ${s.congestedPeriods}`);
if (s.openPositions !== 0) problems.push(`${s.openPositions} position(s) left open`);
if (!(s.deliveryRatio >= 0 && s.deliveryRatio <= 1)) problems.push(`delivery ratio ${s.deliveryRatio} outside [0, 1]`);
if (!s.conservation || s.conservation.ok !== true) {
  problems.push(`conservation does not hold: ${JSON.stringify(s.conservation)}`);
}
const rows = readFileSync(file("periods.csv"), "utf8").trim().split("\n").length - 1;
if (rows !== s.periods) problems.push(`periods.csv has ${rows} rows for ${s.periods} periods`);
for (const name of ["demand", "voltage", "loading", "prices", "payments", "delivery"]) {
  const path = file(`${name}.svg`);
  if (!existsSync(path) || statSync(path).size < 1000) problems.push(`${name}.svg missing or empty`);
}
if (!existsSync(file("report.html")) || statSync(file("report.html")).size < 10000)
  problems.push("report.html missing or empty");

if (problems.length > 0) {
  for (const p of problems) console.error(`check-day: ${p}`);
  process.exit(1);
}
console.log(
  `check-day: ${s.case} ${s.date}, ${s.periods} periods: congested ${s.congestedPeriods}, cleared ${s.clearedPeriods}, ` +
    `${s.trades} trades, ${s.usdPaid} USD paid for ${s.kwhMoved} kWh (delivery ratio ${s.deliveryRatio.toFixed(4)}), ` +
    `gas ${s.gasTotal} (${Math.round(s.gasPerTrade)} per trade), ${s.wallSeconds.toFixed(1)} s — conservation holds`,
);
