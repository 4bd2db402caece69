// TCP segments with bad flag combinations, a bad checksum, mid-stream
// pickup and resets, sent through raw sockets, against the kernel.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state invalid counter
		ct state new counter
		ct state established counter
		tcp dport 8000 counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established counter
		ct state invalid counter
		ct state new counter
	}
}
`;

function rawTraffic() {
  return async (lab: import("../lab.js").Lab) => {
    await lab.httpServer(8000);
    await lab.cli(`${SYSTEM_PYTHON} ${script("raw-tcp.py")} ${lab.cliAddr} ${lab.srvAddr} 8000 9`);
    await lab.curl(8000);
  };
}

describe.skipIf(unavailable !== null)(`kernel parity: TCP flags and pickup${skipNote}`, () => {
  it("invalid flag combinations, bad checksum, lone ACK picked up, reset SYN", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "tcp-flags", ruleset: RULESET, traffic: rawTraffic() });
  });

  it("the same with nf_conntrack_tcp_loose=0: no pickup", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "tcp-noloose",
      ruleset: RULESET,
      sysctl: { "net.netfilter.nf_conntrack_tcp_loose": "0" },
      traffic: rawTraffic(),
    });
  });

  it("nf_conntrack_tcp_be_liberal=1 and short timeouts", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "tcp-liberal",
      ruleset: RULESET,
      sysctl: {
        "net.netfilter.nf_conntrack_tcp_be_liberal": "1",
        "net.netfilter.nf_conntrack_tcp_timeout_time_wait": "30",
        "net.netfilter.nf_conntrack_tcp_timeout_close": "5",
      },
      traffic: rawTraffic(),
    });
  });
});
