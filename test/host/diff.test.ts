// `nftwasm diff`: a ruleset change replayed on a capture whose changed
// connections are known by construction.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, memoryReader } from '../../src/index.js';
import { diffRulesets } from '../../src/diff.js';
import { pcap, tcp, udp } from '../dataplane/packets.js';
import { nftwasm } from './cli-run.js';

const SYN = 0x02, ACK = 0x10, SYNACK = 0x12;

const ruleset = (ports: string) => `table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		tcp dport { ${ports} } accept
		udp dport 53 accept
	}
}
`;

const OLD = ruleset('22, 80, 443');
const NEW = ruleset('80, 443');
const SERVER = '10.0.0.2';

// A handshake and two more segments per client and port, and DNS.
function traffic(): Uint8Array {
  const packets: number[][] = [];
  let client = 1;
  for (const dport of [80, 22, 443, 22]) {
    const src = `10.0.1.${client++}`;
    const sport = 40000 + client;
    packets.push(tcp({ src, dst: SERVER, sport, dport, seq: 100, flags: SYN }));
    packets.push(tcp({ src: SERVER, dst: src, sport: dport, dport: sport, seq: 500, ack: 101, flags: SYNACK }));
    packets.push(tcp({ src, dst: SERVER, sport, dport, seq: 101, ack: 501, flags: ACK }));
    packets.push(tcp({ src, dst: SERVER, sport, dport, seq: 101, ack: 501, flags: ACK, payload: 20 }));
  }
  packets.push(udp('10.0.1.9', SERVER, 5353, 53));
  return pcap(packets);
}

function reader(bytes: Uint8Array) {
  return () => memoryReader(bytes);
}

describe('diff', () => {
  it('reports exactly the connections to the port taken out of the set', async () => {
    const r = await diffRulesets(compile(OLD), compile(NEW), reader(traffic()), { local: [SERVER] });
    expect(r.changes.map((c) => `${c.flow.src}:${c.flow.sport} ${c.flow.dst}:${c.flow.dport}`)).toEqual(['10.0.1.2:40003 10.0.0.2:22', '10.0.1.4:40005 10.0.0.2:22']);
    const first = r.changes[0];
    // Under the new ruleset what comes in meets the policy; the server's
    // answer takes the output path, which has no chain.
    expect(first.firstPacket).toBe(5);
    expect(first.changedPackets).toBe(3);
    expect(first.old).toEqual({ accepted: 4, dropped: 0, decided: { family: 'inet', table: 'filter', chain: 'input', handle: 4, rule: 'tcp dport { 22, 80, 443 } accept' } });
    expect(first.new.accepted).toBe(1);
    expect(first.new.decided).toEqual({ family: 'inet', table: 'filter', chain: 'input', policy: 'drop' });
    expect(r.summary).toEqual({ flows: 5, packets: 17, changedFlows: 2, changedPackets: 6, nowDropped: 2, nowAccepted: 0, mixed: 0 });
  });

  it('a translated connection is one flow, named by its original tuple, both directions counted in it', async () => {
    const natRules = (forward: string) => `table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to 198.51.100.2:80
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.1.1 snat to 203.0.113.1
	}
}
table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
${forward}	}
}
`;
    const capture = pcap([
      tcp({ src: '10.0.1.1', dst: '198.51.100.2', sport: 40000, dport: 80, seq: 100, flags: SYN }),
      tcp({ src: '198.51.100.2', dst: '203.0.113.1', sport: 80, dport: 40000, seq: 500, ack: 101, flags: SYNACK }),
      tcp({ src: '10.0.1.2', dst: '203.0.113.1', sport: 40001, dport: 8080, seq: 100, flags: SYN }),
      tcp({ src: '198.51.100.2', dst: '10.0.1.2', sport: 80, dport: 40001, seq: 500, ack: 101, flags: SYNACK }),
    ]);
    const r = await diffRulesets(compile(natRules('')), compile(natRules('\t\tct direction reply drop\n')), reader(capture));
    expect(r.changes.map((c) => [`${c.flow.src}:${c.flow.sport} ${c.flow.dst}:${c.flow.dport}`, c.packets, c.changedPackets])).toEqual([
      ['10.0.1.1:40000 198.51.100.2:80', 2, 1],
      ['10.0.1.2:40001 203.0.113.1:8080', 2, 1],
    ]);
    expect(r.summary.flows).toBe(2);
  });

  it('runs from the command line, as text or JSON, with --exit-code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftwasm-diff-'));
    const [oldFile, newFile, capture] = ['old.nft', 'new.nft', 'in.pcap'].map((f) => join(dir, f));
    writeFileSync(oldFile, OLD);
    writeFileSync(newFile, NEW);
    writeFileSync(capture, traffic());
    const text = nftwasm(['diff', oldFile, newFile, '-r', capture, '--local', SERVER]);
    expect(text.status).toBe(0);
    expect(text.stdout.toString()).toContain('tcp 10.0.1.2:40003 -> 10.0.0.2:22: 3 of 4 packets change, the first #5 at 1700000000.004000000\n'
      + '  old: 4 accepted, 0 dropped; decided by rule "tcp dport { 22, 80, 443 } accept" (inet filter input handle 4)\n'
      + '  new: 1 accepted, 3 dropped; decided by policy drop (inet filter input)\n');
    expect(text.stderr).toBe('nftwasm diff: 5 connections and 17 packets compared; 2 connections change fate (2 now dropped, 0 now accepted, 0 both), 6 packets\n');

    const json = nftwasm(['diff', oldFile, newFile, '-r', '-', '--local', SERVER, '--json', '--exit-code'], traffic());
    expect(json.status).toBe(1);
    const lines = json.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].flow).toEqual({ family: 'ipv4', protocol: 'tcp', src: '10.0.1.2', dst: '10.0.0.2', sport: 40003, dport: 22 });
    expect(lines[2].summary.changed_flows).toBe(2);

    // The host's interfaces give the local addresses, as for filter.
    const interfaces = join(dir, 'addr.json');
    writeFileSync(interfaces, JSON.stringify([{ ifindex: 2, ifname: 'eth0', link_type: 'ether', group: 'default', addr_info: [{ family: 'inet', local: SERVER, prefixlen: 24 }] }]));
    const viaInterfaces = nftwasm(['diff', oldFile, newFile, '-r', capture, '--interfaces', interfaces]);
    expect(viaInterfaces.stdout.toString()).toBe(text.stdout.toString());

    const same = nftwasm(['diff', oldFile, oldFile, '-r', capture, '--local', SERVER, '--exit-code']);
    expect(same.status).toBe(0);
    expect(same.stdout.toString()).toBe('');
  });
});
