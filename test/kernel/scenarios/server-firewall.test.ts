// A server's firewall as admins deploy them: loopback and conntrack state
// first, a blocklist filled by the rule that rate-limits new SSH
// connections (with its own element timeout), ping under a rate limit,
// services, and a logged reject of the rest. Real traffic against the
// kernel: counters, the conntrack table and the blocklist's contents.
import { describe, expect, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const SERVER = `table inet filter {
	set blocklist {
		type ipv4_addr
		flags dynamic,timeout
		timeout 1m
	}

	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state vmap { established : accept, related : accept, invalid : drop }
		ip saddr @blocklist counter drop
		icmp type echo-request limit rate 2/second burst 3 packets counter accept
		icmp type echo-request counter drop
		tcp dport 2222 ct state new limit rate 2/minute burst 2 packets counter accept
		tcp dport 2222 ct state new add @blocklist { ip saddr timeout 30s } log prefix "ssh-flood: " counter drop
		tcp dport { 443, 8000 } counter accept comment "web"
		udp dport 5353 counter accept
		log prefix "input-drop: " level info counter reject with icmpx type admin-prohibited
	}

	chain output {
		type filter hook output priority filter; policy accept;
		counter
	}
}
`;

// The input side of an OpenWrt router as fw4 generates it: a SYN flood
// guard chain that returns under its limit, per-zone chains entered by
// interface name, rejects answered by protocol.
const FW4_INPUT = `table inet fw4 {
	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept comment "!fw4: Accept traffic from loopback"
		ct state vmap { established : accept, related : accept } comment "!fw4: Handle inbound flows"
		tcp flags & (fin | syn | rst | ack) == syn jump syn_flood comment "!fw4: Rate limit TCP syn packets"
		iifname != "lo" jump input_wan comment "!fw4: Handle wan IPv4/IPv6 input traffic"
	}

	chain syn_flood {
		limit rate 25/second burst 50 packets return comment "!fw4: Accept SYN packets below rate-limit"
		counter drop comment "!fw4: Drop excess packets"
	}

	chain input_wan {
		meta nfproto ipv4 udp dport 68 counter accept comment "!fw4: Allow-DHCP-Renew"
		icmp type echo-request counter accept comment "!fw4: Allow-Ping"
		meta nfproto ipv4 meta l4proto igmp counter accept comment "!fw4: Allow-IGMP"
		tcp dport 8000 counter accept comment "!fw4: Allow-Web"
		jump reject_from_wan
	}

	chain reject_from_wan {
		ct status dnat counter accept comment "!fw4: Accept port forwards"
		counter jump handle_reject
	}

	chain handle_reject {
		meta l4proto tcp counter reject with tcp reset comment "!fw4: Reject TCP traffic"
		counter reject comment "!fw4: Reject any other traffic"
	}
}
`;

// The blocklist's elements without the time they have left.
function blocked(listing: string): string[] {
  return [...listing.matchAll(/(\d+\.\d+\.\d+\.\d+) timeout 30s/g)].map((m) => m[1]);
}

describe.skipIf(unavailable !== null)(`kernel parity: a server firewall${skipNote}`, () => {
  it("rate-limited ping and SSH, a blocklist filled by the SSH rule, a logged reject", { timeout: 90_000 }, async () => {
    const { kernel, filter } = await expectKernelParity({
      name: "server-firewall",
      ruleset: SERVER,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.httpServer(2222);
        await lab.udpEcho(5353);
        await lab.curl(8000);
        await lab.udpSend(5353);
        // Eight requests 50 ms apart: the burst of three passes, and the
        // bucket refills half a token by the last one.
        await lab.cli(`ping -4 -n -c 8 -i 0.05 -W 1 ${lab.srvAddr}`, { allowFailure: true });
        await lab.udpSend(9999, { waitSeconds: 0.3, allowFailure: true });
        // Two new SSH connections within the limit, the third blocklists the client.
        for (let i = 0; i < 3; i++) await lab.curl(2222, { connectTimeoutSeconds: 1.5, allowFailure: true });
        await lab.curl(8000, { connectTimeoutSeconds: 1.5, allowFailure: true });
      },
    });
    expect(kernel.listing).toMatch(/ip saddr @blocklist counter packets [1-9]/);
    expect(blocked(filter.listRuleset())).toEqual(blocked(kernel.listing));
    expect(blocked(kernel.listing)).toHaveLength(1);
  });

  it("an OpenWrt router's input chains as fw4 writes them", { timeout: 90_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "fw4-input",
      ruleset: FW4_INPUT,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.curl(8000);
        await lab.ping(2);
        await lab.curl(2222, { connectTimeoutSeconds: 1.5, allowFailure: true });
        await lab.udpSend(5353, { waitSeconds: 0.3, allowFailure: true });
      },
    });
    expect(kernel.listing).toMatch(/meta l4proto tcp counter packets [1-9]/);
  });
});
