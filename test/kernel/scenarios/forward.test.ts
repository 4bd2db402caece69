// Thousands of generated flows through the kernel's forward path and
// through nftwasm: TCP window tracking, UDP, ICMP and stray packets at scale.
import { describe, expect, it } from "vitest";
import { compile, createFilter } from "../../../src/index.js";
import { normalizeConntrack, parseListingCounters } from "../lab.js";
import { forwardLabUnavailable, generated, replayThroughRouter, respace } from "./forward-lab.js";
import { unavailable } from "./parity.js";

const skip = unavailable ?? forwardLabUnavailable();

const RULESET = `table inet filter {
	set web_ports {
		type inet_service
		elements = { 80, 443, 8000 }
	}

	chain raw {
		type filter hook prerouting priority raw; policy accept;
		counter
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established counter accept
		ct state related counter accept
		ct state invalid counter drop
		tcp dport @web_ports ct state new counter accept
		tcp dport 22 ct state new counter reject with tcp reset
		udp dport { 53, 5353 } ct state new counter accept
		icmp type echo-request ct state new counter accept
		counter
	}
}
`;

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function l4Checksum(frame: Uint8Array, ip: number, th: number, end: number, proto: number): number {
  const view = new DataView(frame.buffer, frame.byteOffset);
  let sum = proto + (end - th);
  for (let i = ip + 12; i < ip + 20; i += 2) sum += view.getUint16(i);
  for (let i = th; i < end; i += 2) sum += i + 1 < end ? view.getUint16(i) : frame[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Some TCP segments of an Ethernet/IPv4 capture changed: flags, sequence and
 * acknowledgement numbers, windows, with their checksums made right again
 * (a few left wrong), as a confused or hostile peer would send them.
 */
function mutateTcp(pcap: Uint8Array, share: number, seed: number): Uint8Array {
  const out = Uint8Array.from(pcap);
  const view = new DataView(out.buffer);
  const rnd = random(seed);
  for (let at = 24; at + 16 <= out.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const frame = at + 16;
    at = frame + caplen;
    if (view.getUint16(frame + 12) !== 0x0800 || out[frame + 23] !== 6 || rnd() >= share) continue;
    const ip = frame + 14;
    const th = ip + ((out[ip]! & 15) << 2);
    const end = ip + view.getUint16(ip + 2);
    const pick = rnd();
    if (pick < 0.25) out[th + 13] = Math.floor(rnd() * 64);
    else if (pick < 0.45) view.setUint32(th + 4, view.getUint32(th + 4) + Math.floor((rnd() - 0.5) * 2 ** 20));
    else if (pick < 0.65) view.setUint32(th + 8, view.getUint32(th + 8) + Math.floor((rnd() - 0.5) * 2 ** 20));
    else if (pick < 0.8) view.setUint16(th + 14, Math.floor(rnd() * 3));
    else view.setUint32(th + 4, Math.floor(rnd() * 2 ** 32));
    view.setUint16(th + 16, 0);
    const csum = l4Checksum(out, ip, th, end, 6);
    view.setUint16(th + 16, rnd() < 0.1 ? csum ^ 0x1111 : csum);
  }
  return out;
}

function ipChecksum(view: DataView, ip: number): void {
  view.setUint16(ip + 10, 0);
  let sum = 0;
  for (let i = ip; i < ip + 20; i += 2) sum += view.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(ip + 10, ~sum & 0xffff);
}

/**
 * Some IPv4 packets changed in what routing judges after prerouting: a TTL
 * of 1 or 0; a loopback, zero-network, multicast or broadcast source; a
 * loopback, zero-network or all-hosts destination.
 */
function mutateRouting(pcap: Uint8Array, share: number, seed: number): Uint8Array {
  const out = Uint8Array.from(pcap);
  const view = new DataView(out.buffer);
  const rnd = random(seed);
  const addresses = [0x7f000001, 0x00000005, 0xe0000001, 0xffffffff];
  for (let at = 24; at + 16 <= out.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const frame = at + 16;
    at = frame + caplen;
    if (view.getUint16(frame + 12) !== 0x0800 || rnd() >= share) continue;
    const ip = frame + 14;
    const pick = rnd();
    if (pick < 0.4) out[ip + 8] = pick < 0.2 ? 1 : 0;
    else if (pick < 0.8) view.setUint32(ip + 12, addresses[Math.floor(rnd() * addresses.length)]!);
    else view.setUint32(ip + 16, addresses[Math.floor(rnd() * 3)]!);
    ipChecksum(view, ip);
  }
  return out;
}

/**
 * Random bytes of some IPv4 packets overwritten anywhere from the IP header
 * on; the IP and transport checksums are then made right again, each in
 * half of them, so both broken and plausible packets arrive.
 */
function mutateBytes(pcap: Uint8Array, share: number, seed: number): Uint8Array {
  const out = Uint8Array.from(pcap);
  const view = new DataView(out.buffer);
  const rnd = random(seed);
  for (let at = 24; at + 16 <= out.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const frame = at + 16;
    at = frame + caplen;
    if (view.getUint16(frame + 12) !== 0x0800 || caplen < 34 || rnd() >= share) continue;
    const ip = frame + 14;
    out[ip + Math.floor(rnd() * (caplen - 14))] = Math.floor(rnd() * 256);
    const ihl = (out[ip]! & 15) << 2;
    const end = ip + view.getUint16(ip + 2);
    if (rnd() < 0.5 && ihl >= 20 && ip + ihl <= frame + caplen) {
      view.setUint16(ip + 10, 0);
      let sum = 0;
      for (let i = ip; i < ip + ihl; i += 2) sum += view.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      view.setUint16(ip + 10, ~sum & 0xffff);
    }
    const proto = out[ip + 9]!;
    const th = ip + ihl;
    const field = proto === 6 ? 16 : proto === 17 ? 6 : -1;
    if (field >= 0 && rnd() < 0.5 && ihl >= 20 && end <= frame + caplen && th + field + 2 <= end) {
      view.setUint16(th + field, 0);
      view.setUint16(th + field, l4Checksum(out, ip, th, end, proto) || (proto === 17 ? 0xffff : 0));
    }
  }
  return out;
}

/**
 * Some IPv4 packets cut into fragments (8-byte aligned), in order or not,
 * now and then with a piece sent twice, overlapping the one before, or
 * missing, so that datagrams complete, break or never arrive.
 */
function fragment(pcap: Uint8Array, share: number, seed: number): Uint8Array {
  const view = new DataView(pcap.buffer, pcap.byteOffset);
  const rnd = random(seed);
  const out: number[] = [...pcap.slice(0, 24)];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const record = pcap.slice(at, at + 16 + caplen);
    at += 16 + caplen;
    const frame = record.slice(16);
    const fv = new DataView(frame.buffer);
    const ip = 14;
    if (fv.getUint16(12) !== 0x0800 || caplen < ip + 20 + 24 || rnd() >= share) {
      out.push(...record);
      continue;
    }
    const ihl = (frame[ip]! & 15) << 2;
    const payload = frame.slice(ip + ihl, ip + fv.getUint16(ip + 2));
    const cuts = [0];
    while (cuts.at(-1)! + 16 < payload.length && cuts.length < 3) cuts.push(cuts.at(-1)! + 8 * (1 + Math.floor(rnd() * Math.max(1, (payload.length - cuts.at(-1)! - 8) / 8))));
    const pieces = cuts.filter((c) => c < payload.length).map((c, i, all) => [c, i + 1 < all.length ? all[i + 1]! : payload.length] as [number, number]);
    const trouble = rnd();
    if (trouble < 0.1 && pieces.length > 1) pieces.pop();
    else if (trouble < 0.2) pieces.push(pieces[0]!);
    else if (trouble < 0.3 && pieces.length > 1) pieces[1]![0] -= 8;
    if (rnd() < 0.3) pieces.reverse();
    for (const [start, end] of pieces) {
      const more = end < payload.length;
      const piece = new Uint8Array(ip + ihl + (end - start));
      piece.set(frame.slice(0, ip + ihl));
      piece.set(payload.slice(start, end), ip + ihl);
      const pv = new DataView(piece.buffer);
      pv.setUint16(ip + 2, ihl + (end - start));
      pv.setUint16(ip + 6, (more ? 0x2000 : 0) | (start >> 3));
      pv.setUint16(ip + 10, 0);
      let sum = 0;
      for (let i = ip; i < ip + ihl; i += 2) sum += pv.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      pv.setUint16(ip + 10, ~sum & 0xffff);
      const header = record.slice(0, 16);
      const hv = new DataView(header.buffer);
      hv.setUint32(8, piece.length, true);
      hv.setUint32(12, piece.length, true);
      out.push(...header, ...piece);
    }
  }
  return Uint8Array.from(out);
}

/**
 * After some TCP and UDP packets, an ICMP error about them from their
 * destination (or, now and then, from elsewhere, or quoting a changed
 * packet), as a router or host on the way would send it.
 */
function icmpErrors(pcap: Uint8Array, share: number, seed: number): Uint8Array {
  const view = new DataView(pcap.buffer, pcap.byteOffset);
  const rnd = random(seed);
  const out: number[] = [...pcap.slice(0, 24)];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const caplen = view.getUint32(at + 8, true);
    const record = pcap.slice(at, at + 16 + caplen);
    at += 16 + caplen;
    out.push(...record);
    const frame = record.slice(16);
    const fv = new DataView(frame.buffer);
    if (fv.getUint16(12) !== 0x0800 || (frame[23] !== 6 && frame[23] !== 17) || rnd() >= share) continue;
    const ihl = (frame[14]! & 15) << 2;
    const quote = frame.slice(14, 14 + ihl + 8);
    const pick = rnd();
    if (pick < 0.15) quote[ihl + Math.floor(rnd() * 8)] ^= 0x40;
    const code = pick < 0.3 ? 1 : 3;
    const icmp = [3, code, 0, 0, 0, 0, 0, 0, ...quote];
    let sum = 0;
    for (let i = 0; i < icmp.length; i += 2) sum += (icmp[i]! << 8) | (icmp[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    icmp[2] = (~sum >> 8) & 0xff;
    icmp[3] = ~sum & 0xff;
    const src = [...frame.slice(30, 34)];
    // From a router on the way rather than the destination itself.
    if (pick > 0.85) src[3] = (src[3]! + 1) & 0xff;
    const ip = [0x45, 0, 0, 20 + icmp.length, 0, 0, 0, 0, 64, 1, 0, 0, ...src, ...frame.slice(26, 30)];
    ip[2] = ((20 + icmp.length) >> 8) & 0xff;
    ip[3] = (20 + icmp.length) & 0xff;
    let isum = 0;
    for (let i = 0; i < 20; i += 2) isum += (ip[i]! << 8) | ip[i + 1]!;
    while (isum > 0xffff) isum = (isum & 0xffff) + (isum >>> 16);
    ip[10] = (~isum >> 8) & 0xff;
    ip[11] = ~isum & 0xff;
    const eth = [...frame.slice(6, 12), ...frame.slice(0, 6), 0x08, 0x00];
    const reply = [...eth, ...ip, ...icmp];
    const header = record.slice(0, 16);
    const hv = new DataView(header.buffer);
    hv.setUint32(8, reply.length, true);
    hv.setUint32(12, reply.length, true);
    out.push(...header, ...reply);
  }
  return Uint8Array.from(out);
}

/** packets: how many must reach prerouting (undefined: some are dropped before it on purpose). */
async function expectForwardParity(pcap: Uint8Array, packets?: number): Promise<void> {
  const kernel = await replayThroughRouter(pcap, RULESET);
  const theirs = parseListingCounters(kernel.listing);
  // Every packet reached the router, or the comparison means nothing.
  if (packets !== undefined) expect(theirs[0]!.packets).toBe(packets);
  // What the router saw, when it saw it: the replay's timing is the kernel's.
  expect(kernel.seen.length).toBeGreaterThan(24);
  const filter = await createFilter(compile(RULESET, { filename: "forward.nft" }));
  filter.processCapture(kernel.seen);
  expect(parseListingCounters(filter.listRuleset())).toEqual(theirs);
  expect(normalizeConntrack(filter.conntrackListing())).toEqual(normalizeConntrack(kernel.conntrack));
}

describe.skipIf(skip !== null)(`kernel parity: forward path${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("a generated capture of many interleaved flows", { timeout: 180_000 }, async () => {
    const { pcap, packets } = generated(20000, 500, 7);
    await expectForwardParity(respace(pcap, 60), packets);
  });

  it("with TTLs and addresses routing stops after prerouting", { timeout: 180_000 }, async () => {
    const { pcap, packets } = generated(10000, 300, 13);
    await expectForwardParity(respace(mutateRouting(pcap, 0.05, 9), 60), packets);
  });

  it("with random bytes of three packets in ten overwritten", { timeout: 180_000 }, async () => {
    for (const seed of [2, 6, 21]) {
      const { pcap } = generated(6000, 200, 100 + seed);
      await expectForwardParity(respace(mutateBytes(pcap, 0.3, seed), 100));
    }
  });

  it("with one packet in ten fragmented, some fragments repeated, overlapping or lost", { timeout: 180_000 }, async () => {
    for (const seed of [3, 4]) {
      const { pcap } = generated(5000, 200, 200 + seed);
      await expectForwardParity(respace(fragment(pcap, 0.1, seed), 100));
    }
  });

  it("with ICMP errors about forwarded packets, some from elsewhere or quoting changed packets", { timeout: 180_000 }, async () => {
    const { pcap } = generated(5000, 200, 150);
    await expectForwardParity(respace(icmpErrors(pcap, 0.05, 50), 100));
  });

  it("the same with one TCP segment in five mangled", { timeout: 180_000 }, async () => {
    const { pcap, packets } = generated(20000, 500, 11);
    await expectForwardParity(respace(mutateTcp(pcap, 0.2, 5), 60), packets);
  });
});
