// IPv4 options and IPv6 extension headers in front of the transport header.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

describe.skipIf(unavailable !== null)(`kernel parity: IP options and extension headers${skipNote}`, () => {
  it("ping with record route, UDP with hop-by-hop and destination options", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "options",
      ipv6: true,
      ruleset: `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request ct state new counter
		ct state established counter
		udp dport 5353 ct state new counter
		meta l4proto udp counter
		ct state untracked counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established counter
		meta length > 100 counter
	}
}
`,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.cli(`ping -4 -n -R -c 2 -i 0.2 ${lab.srvAddr}`);
        await lab.cli(`${SYSTEM_PYTHON} ${script("ip-options.py")} ${lab.srvAddr6} 5353`);
      },
    });
  });
});
