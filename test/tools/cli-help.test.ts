/**
 * Every command line's --help: the usage line, then each argument and flag with one line saying
 * what it is (scripts/cli.ts formatHelp) — pf, period, demo, simulate, dashboard and both agents.
 */
import { expect } from "chai";
import { formatHelp, type CommandSpec } from "../../scripts/cli";
import { PF_COMMAND } from "../../scripts/pf";
import { PERIOD_COMMAND } from "../../scripts/period";
import { DEMO_COMMAND } from "../../scripts/demo";
import { SIMULATE_COMMAND } from "../../scripts/simulate";
import { DASHBOARD_COMMAND } from "../../scripts/dashboard";
import { CENTRE_COMMAND } from "../../scripts/agent-centre";
import { GENERATOR_COMMAND } from "../../scripts/agent-generator";
import { DECODE_ERROR_COMMAND } from "../../scripts/decode-error";

const COMMANDS: CommandSpec[] = [
  PF_COMMAND,
  PERIOD_COMMAND,
  DEMO_COMMAND,
  SIMULATE_COMMAND,
  DASHBOARD_COMMAND,
  CENTRE_COMMAND,
  GENERATOR_COMMAND,
  DECODE_ERROR_COMMAND,
];

describe("--help of every command line", function () {
  for (const spec of COMMANDS) {
    it(`${spec.name}: the usage, then every flag on a line of its own with what it does`, () => {
      const lines = formatHelp(spec).split("\n");
      expect(lines[0]).to.equal(spec.usage.split("\n")[0]);
      const body = lines.slice(spec.usage.split("\n").length + 1);
      const flags = Object.keys(spec.options);
      const expected = flags.length + 1 + (spec.positionals?.help ? 1 : 0);
      expect(body, body.join("\n")).to.have.length(expected);
      for (const flag of flags) {
        const line = body.find((l) => new RegExp(`^  (-\\w, )?--${flag}( |$)`).test(l));
        expect(line, `--${flag}`).to.not.equal(undefined);
        const help = spec.options[flag].help;
        expect(help.trim(), `--${flag}`).to.not.equal("");
        expect(help, `--${flag}`).to.not.include("\n");
        expect(line!.endsWith(help), `--${flag}`).to.equal(true);
      }
      expect(body[body.length - 1]).to.match(/^ {2}-h, --help +print this help and exit$/);
    });
  }
});
