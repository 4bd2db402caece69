// ct timeout objects: connections a rule attaches a policy to take its
// timeouts state by state, in the kernel and in the data plane alike.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	ct timeout udpshort {
		protocol udp
		policy = { unreplied : 19, replied : 44 }
	}

	ct timeout tcpshort {
		protocol tcp
		policy = { established : 4321, time_wait : 77, close : 3 }
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 5353 ct timeout set "udpshort"
		udp dport 5354 ct timeout set "tcpshort"
		tcp dport 8000 ct timeout set "tcpshort" counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
`;

// Each entry's timeout by the rest of its line, from `conntrack -L` text.
function timeouts(listing: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of listing.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (!/^ipv[46]$/.test(f[0] ?? "")) continue;
    out.set(f.slice(5).filter((x) => !x.startsWith("id=")).join(" "), Number(f[4]));
  }
  return out;
}

describe.skipIf(unavailable !== null)(`kernel parity: ct timeout objects${skipNote}`, () => {
  it("UDP and TCP connections take the policy's timeouts, others the sysctls'", { timeout: 90_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "ct-timeout",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpEcho(5354);
        await lab.udpEcho(5355);
        // Replied for more than two seconds: the policy's replied timeout.
        await lab.cli(`${SYSTEM_PYTHON} ${script("udp-stream.py")} ${lab.srvAddr} 5353 3 1.2`);
        // A policy of another protocol leaves the connection as it was.
        await lab.udpSend(5354);
        await lab.udpSend(5355);
        await lab.httpServer(8000);
        await lab.curl(8000);
      },
    });
    const theirs = timeouts(kernel.conntrack);
    const ours = timeouts(filter.conntrackListing());
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    const values = [...theirs.values()];
    // The policy's values are there to be seen: 44 (replied), 77 (time_wait).
    expect(values.some((t) => t > 30 && t <= 44)).toBe(true);
    expect(values.some((t) => t > 44 && t <= 77)).toBe(true);
    // Both tables list the same moment of each connection's life, up to
    // the few seconds between the capture's end and the kernel's listing.
    for (const [tuple, t] of theirs) expect(Math.abs(ours.get(tuple)! - t), tuple).toBeLessThanOrEqual(3);
  });
});
