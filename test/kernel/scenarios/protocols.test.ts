// GRE, UDP-Lite and an unknown protocol, and the ICMP errors they draw.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

describe.skipIf(unavailable !== null)(`kernel parity: other protocols${skipNote}`, () => {
  it("GRE, UDP-Lite and protocol 253 with their unreachable errors", { timeout: 60_000 }, async () => {
    let proc = "";
    const { filter } = await expectKernelParity({
      name: "protocols",
      ruleset: `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		meta l4proto gre counter
		meta l4proto udplite counter
		meta l4proto 253 counter
		ct state new counter
		ct state established counter
		ct state invalid counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state related counter
		ct state new counter
	}
}
`,
      traffic: async (lab) => {
        await lab.cli(`${SYSTEM_PYTHON} ${script("raw-protocols.py")} ${lab.srvAddr}`);
        proc = await lab.srv("cat /proc/net/nf_conntrack");
      },
    });
    const withoutTimeout = (text: string) =>
      text.trim().split("\n").map((line) => line.trim().split(/\s+/).filter((_, i) => i !== 4).join(" ")).sort();
    expect(withoutTimeout(filter.conntrackListing({ format: "proc" }))).toEqual(withoutTimeout(proc));
  });
});
