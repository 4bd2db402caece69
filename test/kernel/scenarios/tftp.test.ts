// TFTP through the tftp conntrack helper: the server's answer from a new
// port is an expected connection, related to the request.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	ct helper tftp-standard {
		type "tftp" protocol udp
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 69 ct helper set "tftp-standard" counter
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		udp dport 69 ct state new counter accept
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state related counter
		ct status expected counter
		ct state new counter
		ct state established counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: TFTP helper${skipNote}`, () => {
  it("read requests answered from a new port", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "tftp",
      ruleset: RULESET,
      traffic: async (lab) => {
        lab.spawnSrv(`${SYSTEM_PYTHON} ${script("tftp.py")} server 69 0.0.0.0`);
        await lab.waitPort(69, "udp");
        for (const name of ["a.txt", "b.txt"]) {
          await lab.cli(`${SYSTEM_PYTHON} ${script("tftp.py")} client ${lab.srvAddr} 69 ${name}`);
        }
      },
    });
  });
});
