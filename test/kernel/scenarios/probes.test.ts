// Every instruction, meta key and ct key the compiler emits, as a probe rule
// `<expr> counter` on the input and output paths of real traffic (TCP, UDP,
// ICMP, both IP versions), and the statements, each followed by a probe of
// what it did: each probe's counter must be the kernel's for the same
// packets. A probe stands for what the data plane computes for it,
// including a load that breaks the rule where the kernel's breaks it.
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/index.js";
import { dualStackTraffic, expectKernelParity, skipNote, unavailable } from "./parity.js";
import { COMMON } from "./probe-table.js";

const chain = (name: string, hook: string) =>
  `\tchain ${name} {\n\t\ttype filter hook ${hook} priority filter; policy accept;\n${COMMON.map((p) => `\t\t${p} counter\n`).join("")}\t}\n`;

// Statements, each followed by a probe of its effect, after the probes.
const STATEMENTS = `	set seen {
		type ipv4_addr
		flags dynamic
	}

	counter named {
	}

	chain statements {
		type filter hook input priority 10; policy accept;
		tcp dport 8000 meta mark set 3
		meta mark 3 counter
		meta mark set tcp dport map { 8000 : 5, 5353 : 6 }
		meta mark 5 counter
		meta mark set meta mark << 2
		meta mark 20 counter
		meta mark set meta mark >> 1
		meta mark 10 counter
		udp dport 5353 ct mark set 9
		ct mark 9 counter
		ct mark set ct mark | 0x10
		ct mark 0x19 counter
		add @seen { ip saddr }
		ip saddr @seen counter
		limit rate 1/minute counter
		limit rate over 1/minute counter
		log prefix "probe " counter
		counter name "named"
		ip dscp set cs1
		ip dscp cs1 counter
	}
`;

const RULESET = `table inet probes {\n${STATEMENTS}\n${chain("input", "input")}\n${chain("output", "output")}}\n`;

describe("probe table", () => {
  it("every probe compiles", () => {
    expect(() => compile(RULESET)).not.toThrow();
  });
});

describe.skipIf(unavailable !== null)(`kernel parity: probes${skipNote}`, () => {
  it("every probe counts the packets the kernel's counts", { timeout: 90_000 }, async () => {
    await expectKernelParity({
      name: "probes",
      ruleset: RULESET,
      ipv6: true,
      traffic: dualStackTraffic,
    });
  });
});
