// Day gate, run by .ci/run after `npm run simulate`: reads a simulated day's directory and fails
// unless it is whole and its figures hang together — summary.json has every field the issue names
// (numbers, on-chain figures present), the periods asked for were run; planned and as delivered
// kept apart and consistent: cleared by the plan ≤ congested, the periods over a limit as delivered
// listed with their lines named and matching periods.csv's linesActual; no position left open, the
// delivery ratio in [0, 1], the on-chain balances equal the settlements (conservation), one CSV row
// per period, and every plot and report.html non-empty. With --active, the day must also show the
// market at work: congestion, offers, fills and settlement (what the default day is for).
//   node tools/check-day.js <dir> [expected periods] [--active]
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

const args = process.argv.slice(2);
const active = args.includes("--active");
const [dir, expected] = args.filter((a) => a !== "--active");
if (!dir) {
  console.error("usage: node tools/check-day.js <day directory> [expected periods] [--active]");
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
  "clearedByPlanPeriods",
  "overLimitAsDeliveredPeriods",
  "clearedAsDeliveredPeriods",
  "unmetLimits",
  "redispatchCostUsd",
  "offers",
  "kwhFilled",
  "usdPaid",
  "kwhMoved",
  "deliveryRatio",
  "trades",
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
if (!(s.clearedByPlanPeriods <= s.congestedPeriods))
  problems.push(`cleared by the plan ${s.clearedByPlanPeriods} > congested ${s.congestedPeriods}`);
if (!(s.clearedAsDeliveredPeriods <= s.congestedPeriods))
  problems.push(`cleared as delivered ${s.clearedAsDeliveredPeriods} > congested ${s.congestedPeriods}`);
if (!Array.isArray(s.congested) || s.congested.length !== s.congestedPeriods)
  problems.push(`congested lists ${s.congested?.length} period(s) for ${s.congestedPeriods}`);
if (!Array.isArray(s.overLimitAsDelivered) || s.overLimitAsDelivered.length !== s.overLimitAsDeliveredPeriods) {
  problems.push(
    `overLimitAsDelivered lists ${s.overLimitAsDelivered?.length} period(s) for ${s.overLimitAsDeliveredPeriods}`,
  );
}
for (const p of [...(s.congested ?? []), ...(s.overLimitAsDelivered ?? [])]) {
  if (!Array.isArray(p.lines) || p.lines.length === 0 || !p.lines.every((l) => /^\d+-\d+$/.test(l)))
    problems.push(`${p.localTime}: lines not named (${JSON.stringify(p.lines)})`);
}
if (s.openPositions !== 0) problems.push(`${s.openPositions} position(s) left open`);
if (!(s.deliveryRatio >= 0 && s.deliveryRatio <= 1)) problems.push(`delivery ratio ${s.deliveryRatio} outside [0, 1]`);
if (!s.conservation || s.conservation.ok !== true) {
  problems.push(`conservation does not hold: ${JSON.stringify(s.conservation)}`);
}
const [header, ...rows] = readFileSync(file("periods.csv"), "utf8").trim().split("\n");
if (rows.length !== s.periods) problems.push(`periods.csv has ${rows.length} rows for ${s.periods} periods`);
const linesActual = header.split(",").indexOf("linesActual");
const overInCsv = rows.filter((r) => Number(r.split(",")[linesActual]) > 0).length;
if (overInCsv !== s.overLimitAsDeliveredPeriods) {
  problems.push(
    `periods.csv has ${overInCsv} period(s) with linesActual > 0, the summary ${s.overLimitAsDeliveredPeriods}`,
  );
}
for (const name of ["demand", "voltage", "loading", "prices", "payments", "delivery"]) {
  const path = file(`${name}.svg`);
  if (!existsSync(path) || statSync(path).size < 1000) problems.push(`${name}.svg missing or empty`);
}
if (!existsSync(file("report.html")) || statSync(file("report.html")).size < 10000)
  problems.push("report.html missing or empty");
if (active) {
  if (!(s.congestedPeriods > 0)) problems.push("--active: no congested period");
  if (!(s.offers > 0)) problems.push("--active: no offer posted");
  if (!(s.trades > 0)) problems.push("--active: no fill");
  if (!(s.usdPaid > 0)) problems.push("--active: nothing settled (no USD paid)");
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-day: ${p}`);
  process.exit(1);
}
console.log(
  `check-day: ${s.case} ${s.date}, ${s.periods} periods: congested ${s.congestedPeriods}, cleared by the plan ` +
    `${s.clearedByPlanPeriods}, over a limit as delivered ${s.overLimitAsDeliveredPeriods}; ${s.offers} offers, ` +
    `${s.trades} trades, ${s.usdPaid} USD paid for ${s.kwhMoved} kWh (delivery ratio ${s.deliveryRatio.toFixed(4)}), ` +
    `gas ${s.gasTotal} (${Math.round(s.gasPerTrade)} per trade), ${s.wallSeconds.toFixed(1)} s — conservation holds`,
);
