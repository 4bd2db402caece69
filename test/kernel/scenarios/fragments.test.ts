// Fragmented datagrams: the kernel reassembles them before conntrack, so
// chains see (and counters count) whole datagrams; broken sets never arrive.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state new counter
		ct state established counter
		ct state invalid counter
		meta l4proto udp counter
		meta l4proto icmp counter
		icmpv6 type echo-request counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established counter
		meta length > 1500 counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: fragments${skipNote}`, () => {
  it("large pings and UDP datagrams in fragments, both ways, IPv4 and IPv6", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "fragments",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.cli(`ping -4 -n -c 2 -i 0.2 -s 3000 ${lab.srvAddr}`);
        await lab.cli(`ping -6 -n -c 2 -i 0.2 -s 4000 ${lab.srvAddr6}`);
        await lab.udpSend(5353, { payload: "y".repeat(5000) });
        await lab.udpSend(5353, { payload: "z".repeat(3000), family: 6 });
      },
    });
  });

  it("duplicate, overlapping and incomplete IPv4 fragments from a raw socket", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "raw-fragments",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.cli(`${SYSTEM_PYTHON} ${script("raw-fragments.py")} ${lab.cliAddr} ${lab.srvAddr} 5353`);
      },
    });
  });
});
