/**
 * What a user's commands need by default ships with the project, and nothing user-facing reaches
 * beside it: no code under scripts/, oracle/, tasks/, dashboard/ or tools/ names ../shared (the
 * reference set is for tests and benchmarks only); every case and profile the README and docs run
 * by name resolves to a shipped file; the shipped BDEW profiles read whole and the MATPOWER cases
 * load with their headers, each folder stating source and licence. Where ../shared is present, the
 * shipped copies are checked against it (identical profiles, identical case data).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { expect } from "chai";
import { loadCase } from "../../oracle";
import { readLoadProfile } from "../../oracle/market/profiles";
import { DEFAULT_CASE, DEFAULT_PROFILE, resolveCasePath, resolveProfilePath } from "../../scripts/simulate";

const ROOT = resolve(__dirname, "../..");
const SHARED = resolve(ROOT, "../shared");
const PROFILES = join(ROOT, "data", "profiles");
const MATPOWER = join(ROOT, "cases", "matpower");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : sourceFiles(path);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [path] : [];
  });
}

/** The fenced sh blocks of a Markdown file, as lines. */
function shellLines(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
}

describe("shipped data: a fresh clone's commands need nothing beside it", function () {
  it("no user-facing code names ../shared", () => {
    const offending: string[] = [];
    // tools/matpower/ is the bridge to MATPOWER's engine in Octave, beside the project by design: it
    // makes reference data and times MATPOWER for benchmarks (tools/README.md); no user command uses it.
    const files = ["scripts", "oracle", "tasks", "dashboard", "tools"]
      .flatMap((d) => sourceFiles(join(ROOT, d)))
      .filter((f) => !relative(ROOT, f).startsWith("tools/matpower/"))
      .concat(join(ROOT, "hardhat.config.ts"));
    for (const file of files) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) return; // comments may describe the reference set
          if (
            /\.\.\/shared\/(profiles|matpower|paper)|["'`]\.\.["'`],\s*["'`]shared["'`]|\.\.\/shared["'`]/.test(line)
          ) {
            offending.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(offending, offending.join("\n")).to.deep.equal([]);
  });

  it("every case and profile the README and docs run by name is shipped", () => {
    const docs = [join(ROOT, "README.md"), ...readdirSync(join(ROOT, "docs")).map((f) => join(ROOT, "docs", f))];
    let seen = 0;
    for (const file of docs.filter((f) => f.endsWith(".md"))) {
      for (const line of shellLines(file)) {
        const m = /npm run (?:--silent )?simulate(?: --)?(.*)$/.exec(line.replace(/#.*$/, ""));
        if (!m) continue;
        // Optional parts ([--date …]) and placeholders (<case>) are the synopsis, not a command.
        const words = m[1]
          .replace(/\[[^\]]*\]|<[^>]*>/g, " ")
          .trim()
          .split(/\s+/)
          .filter((w) => w !== "");
        const name = words[0] && !words[0].startsWith("-") ? words[0] : DEFAULT_CASE;
        expect(() => resolveCasePath(name), `${relative(ROOT, file)}: ${line}`).to.not.throw();
        const p = words.indexOf("--profile");
        if (p >= 0 && !/FILE|\|/.test(words[p + 1])) {
          expect(existsSync(resolveProfilePath(words[p + 1])), `${relative(ROOT, file)}: ${line}`).to.equal(true);
        }
        seen++;
      }
    }
    expect(seen, "simulate commands found in the docs").to.be.at.least(3);
    expect(resolveProfilePath(DEFAULT_PROFILE)).to.equal(join(PROFILES, "bdew-g25.csv"));
    expect(resolveCasePath("case118")).to.equal(join(MATPOWER, "case118.m"));
    expect(resolveCasePath("seed34")).to.equal(join(ROOT, "cases", "seed34.json"));
  });

  it("the BDEW profiles: 12 months × 3 day types of 96 quarter-hours; source and MIT licence stated beside them", () => {
    const readme = readFileSync(join(PROFILES, "README.md"), "utf8");
    expect(readme).to.include("demandlib").and.include("oemof developer group").and.include("MIT License");
    for (const name of readdirSync(PROFILES).filter((f) => f.endsWith(".csv"))) {
      expect(readme, `${name} described`).to.include(`\`${name}\``);
      const p = readLoadProfile(join(PROFILES, name));
      expect(p.columns, name).to.have.length(36);
      for (const c of p.columns) expect(c.quarterHourKwh, name).to.have.length(96);
      const reference = join(SHARED, "profiles", name);
      if (existsSync(reference)) {
        expect(readFileSync(join(PROFILES, name), "utf8"), `${name} = ../shared`).to.equal(
          readFileSync(reference, "utf8"),
        );
      }
    }
  });

  it("MATPOWER's cases: each with its header, loading to the same data as ../shared's; licence notice beside them", () => {
    expect(readFileSync(join(MATPOWER, "LICENSE"), "utf8")).to.match(/^The code in MATPOWER is distributed under/);
    const readme = readFileSync(join(MATPOWER, "README.md"), "utf8");
    const files = readdirSync(MATPOWER).filter((f) => f.endsWith(".m"));
    expect(files).to.include.members(["case118.m", "case33bw.m", "case34sa.m"]);
    for (const f of files) {
      const name = f.replace(/\.m$/, "");
      expect(readme, `${f} described`).to.include(`\`${f}\``);
      const text = readFileSync(join(MATPOWER, f), "utf8").split("\n");
      expect(text[0]).to.equal(`function mpc = ${name}`);
      expect(text[1], `${f}: MATPOWER's header`).to.match(new RegExp(`^%${name.toUpperCase()} +\\S`));
      expect(statSync(join(MATPOWER, f)).size).to.be.below(100_000);
      const c = loadCase(join(MATPOWER, f));
      // MATPOWER's files as it ships them: the raw ones (kW and ohms, converted by statements) are in raw/.
      const reference = [join(SHARED, "matpower", "raw", f), join(SHARED, "matpower", "cases", f)].find(existsSync);
      if (reference) {
        const r = loadCase(reference);
        expect([c.baseMVA, c.bus, c.gen, c.branch], `${f} = ${relative(ROOT, reference)}`).to.deep.equal([
          r.baseMVA,
          r.bus,
          r.gen,
          r.branch,
        ]);
      }
    }
  });
});
