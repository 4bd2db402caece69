// FTP through the ftp conntrack helper, attached by a ct helper object:
// the data connections are expected, related, children of the control one,
// and `ct helper` reads their master's helper.
import { describe, expect, it } from "vitest";
import { expectKernelParity, ftpSession, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	ct helper ftp-standard {
		type "ftp" protocol tcp
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-standard" counter
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct helper "ftp" counter
		ct state established counter accept
		ct state related counter accept
		tcp dport 21 ct state new counter accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter accept
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct helper "ftp" counter
		ct state related counter
		ct state new counter
		ct state established counter
		ct status expected counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: FTP helper${skipNote}`, () => {
  it("passive FTP (PASV)", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({ name: "ftp-pasv", ruleset: RULESET, traffic: ftpSession("pasv") });
    expect(kernel.conntrack).toContain("helper=ftp");
    expect(kernel.listing).toMatch(/ct helper "ftp" counter packets [1-9]/);
  });

  it("a passive data connection announced and never opened", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "ftp-abandon", ruleset: RULESET, traffic: ftpSession("abandon") });
  });

  it("active FTP (PORT)", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "ftp-port", ruleset: RULESET, traffic: ftpSession("port") });
  });

  it("extended passive and active FTP (EPSV, EPRT)", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "ftp-epsv", ruleset: RULESET, traffic: ftpSession("epsv") });
    await expectKernelParity({ name: "ftp-eprt", ruleset: RULESET, traffic: ftpSession("eprt") });
  });

  it("FTP over IPv6 (EPSV)", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "ftp6-epsv", ruleset: RULESET, ipv6: true, traffic: ftpSession("epsv", 6) });
  });

  it("FTP over IPv6 (EPRT)", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "ftp6-eprt", ruleset: RULESET, ipv6: true, traffic: ftpSession("eprt", 6) });
  });
});
