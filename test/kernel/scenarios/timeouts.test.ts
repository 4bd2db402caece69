// Expiry driven by packet time, and a TCP connection reopened from
// TIME_WAIT on the same ports.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state new counter
		ct state established counter
		ct state invalid counter
		tcp flags syn ct state new counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: timeouts and reopening${skipNote}`, () => {
  it("UDP and ICMP entries expire between packets with short timeouts", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "expiry",
      ruleset: RULESET,
      sysctl: {
        "net.netfilter.nf_conntrack_udp_timeout": "1",
        "net.netfilter.nf_conntrack_icmp_timeout": "1",
      },
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        // One socket: the same tuple comes back after its entry expired.
        await lab.cli(`${SYSTEM_PYTHON} ${script("udp-stream.py")} ${lab.srvAddr} 5353 3 1.6`);
        await lab.cli(`ping -4 -n -c 3 -i 1.5 ${lab.srvAddr}`);
        await sleep(200);
      },
    });
  });

  // A connection's first packet meets every hook before confirmation, while
  // the kernel's timeout is still relative: its expiration reads 0.
  it("ct expiration of an unconfirmed connection is 0", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "expiration",
      ruleset: `table inet filter {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ct expiration > 1m counter
		ct expiration < 40s counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct expiration > 1m counter
		ct expiration < 40s counter
		ct expiration < 40s ct state new counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct expiration > 1m counter
		ct expiration < 40s counter
	}
}
`,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.udpEcho(5353);
        await lab.udpSend(5353);
        await lab.ping(2);
      },
    });
    expect(kernel.listing).toMatch(/ct expiration < 40s ct state new counter packets [1-9]/);
  });

  it("a new connection on the ports of one in TIME_WAIT reopens it", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "reopen",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        // Whichever side closed first holds the ports in TIME_WAIT: the client
        // rebinds with SO_REUSEADDR, and tcp_tw_reuse lets it connect again
        // once a second has passed, as it would reopen a real connection.
        await lab.cli("sysctl -qw net.ipv4.tcp_tw_reuse=1");
        for (let i = 0; i < 3; i++) {
          if (i > 0) await sleep(1100);
          await lab.cli(`${SYSTEM_PYTHON} ${script("fixed-port-get.py")} ${lab.srvAddr} 8000 45000`);
        }
      },
    });
  });
});
