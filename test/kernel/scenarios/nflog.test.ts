// A capture of an NFLOG group (`tcpdump -i nflog:5`, link type NFLOG) as the
// record of what a host saw: every packet it received, logged at the start
// of prerouting, and every packet it sent, logged at the end of
// postrouting. The kernel hands an NFLOG group's packets over in batches
// unless the rule's queue threshold is 1, and tcpdump stamps them when it
// gets them. Replayed through the same ruleset, per-rule counters and the
// conntrack table must equal the kernel's.
import { describe, it } from "vitest";
import { dualStackTraffic, expectKernelParity, unavailable } from "./parity.js";

const RULESET = `table inet t {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		log group 5 queue-threshold 1
	}

	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 8000 ct state new counter
		udp dport 5353 counter
		icmp type echo-request counter
		icmpv6 type echo-request counter
		ct state established counter
		counter
	}

	chain output {
		type filter hook output priority 0; policy accept;
		tcp sport 8000 counter
		ct state established counter
		counter
	}

	chain post {
		type filter hook postrouting priority 300; policy accept;
		log group 5 queue-threshold 1
	}
}
`;

describe("an NFLOG capture, against the kernel", () => {
  it.skipIf(unavailable)("replays what the host received and sent", async () => {
    await expectKernelParity({ name: "nflog", ruleset: RULESET, ipv6: true, captureOn: "nflog:5", traffic: dualStackTraffic });
  });
});
