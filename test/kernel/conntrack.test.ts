import { describe, expect, it } from "vitest";
import { normalizeConntrack } from "./conntrack.js";

// `conntrack -L -o extended,id`, conntrack-tools 1.4.7; the FTP control
// entry is from a run with nf_conntrack_acct=1.
const TABLE = `ipv4     2 udp      17 27 src=10.99.0.1 dst=10.99.0.2 sport=46586 dport=5353 [UNREPLIED] src=10.99.0.2 dst=10.99.0.1 sport=5353 dport=46586 mark=0 use=1 id=3511138971
ipv4     2 tcp      6 117 TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=43694 dport=8000 src=10.99.0.2 dst=10.99.0.1 sport=8000 dport=43694 [ASSURED] mark=0 use=1 id=1593990556
ipv6     10 icmpv6   58 27 src=fd99::1 dst=fd99::2 type=128 code=0 id=5523 src=fd99::2 dst=fd99::1 type=129 code=0 id=5523 mark=0 use=1 id=47044514
ipv4     2 tcp      6 119 TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=45210 dport=21 packets=14 bytes=823 src=10.99.0.2 dst=10.99.0.1 sport=21 dport=45210 packets=13 bytes=977 [ASSURED] mark=0 helper=ftp use=2 id=1059242446
`;

describe("normalizeConntrack", () => {
  it("drops the timeout and the entry id, keeps everything else, sorted", () => {
    expect(normalizeConntrack(TABLE)).toEqual([
      "ipv4 2 tcp 6 TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=43694 dport=8000 src=10.99.0.2 dst=10.99.0.1 sport=8000 dport=43694 [ASSURED] mark=0 use=1",
      "ipv4 2 tcp 6 TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=45210 dport=21 packets=14 bytes=823 src=10.99.0.2 dst=10.99.0.1 sport=21 dport=45210 packets=13 bytes=977 [ASSURED] mark=0 helper=ftp use=2",
      "ipv4 2 udp 17 src=10.99.0.1 dst=10.99.0.2 sport=46586 dport=5353 [UNREPLIED] src=10.99.0.2 dst=10.99.0.1 sport=5353 dport=46586 mark=0 use=1",
      "ipv6 10 icmpv6 58 src=fd99::1 dst=fd99::2 type=128 code=0 id=5523 src=fd99::2 dst=fd99::1 type=129 code=0 id=5523 mark=0 use=1",
    ]);
  });

  it("ignores the summary line and blank lines", () => {
    expect(normalizeConntrack("\nconntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n")).toEqual([]);
  });
});
