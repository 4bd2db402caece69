// A host receives only the multicast it has joined (ip_route_input_mc,
// ip6_mc_input): the rest is dropped after prerouting, on routing, and
// never reaches the input hook nor leaves a conntrack entry.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ip daddr 224.0.0.0/4 counter
		ip daddr 255.255.255.255 counter
		ip6 daddr ff00::/8 counter
		ct state untracked counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr 224.0.0.0/4 counter
		ip daddr 255.255.255.255 counter
		ip6 daddr ff02::1 counter
		ip6 daddr ff02::1:ff00:0/104 counter
		ip6 daddr ff00::/8 counter
		ct state untracked counter
		ct state new counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: multicast a host receives${skipNote}`, () => {
  it("joined groups and broadcasts reach input; other groups, MLD reports, router and other hosts' neighbour solicitations do not", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "multicast",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        const srvSolicited = `ff02::1:ff${lab.srvAddr6!.split(":").pop()!.padStart(6, "0").replace(/^(..)/, "$1:")}`;
        await lab.cli(`${SYSTEM_PYTHON} ${script("multicast.py")} ${lab.iface} ${srvSolicited}`);
        // Resolving an address nobody has: a solicitation to its group.
        await lab.cli("ping -6 -n -c 1 -W 1 fd99::3", { allowFailure: true });
      },
    });
    expect(kernel.listing).toMatch(/ip6 daddr ff00::\/8 counter packets [1-9]/);
  });
});
