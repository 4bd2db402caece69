// ct count: connections counted per rule while they are open.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

describe.skipIf(unavailable !== null)(`kernel parity: ct count${skipNote}`, () => {
  it("counts open connections, forgetting closed ones", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "connlimit",
      ruleset: `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 8000 ct count over 2 counter
		tcp dport 8000 ct count 3 counter
		ct state new counter
	}
}
`,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.cli(`${SYSTEM_PYTHON} ${script("hold-connections.py")} ${lab.srvAddr} 8000 4`);
        await lab.cli(`${SYSTEM_PYTHON} ${script("hold-connections.py")} ${lab.srvAddr} 8000 2`);
      },
    });
  });
});
