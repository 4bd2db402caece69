// `ct event set` narrows what --events reports for a connection, as the
// kernel's per-connection event mask narrows what conntrack -E receives.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CAPTURE, EXAMPLE_RULESET, nftwasm } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'nftwasm-event-mask-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rulesetWith(statement: string): string {
  const path = join(dir, `${statement.replace(/\W+/g, '-')}.nft`);
  const pre = `table inet mask {\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\t${statement}\n\t}\n}\n`;
  writeFileSync(path, readFileSync(EXAMPLE_RULESET, 'utf8') + pre);
  return path;
}

function events(ruleset: string): string[] {
  const r = nftwasm(['filter', '-f', ruleset, '-r', EXAMPLE_CAPTURE, '--local', '10.99.0.2', '--events', '-q']);
  expect(r.status).toBe(0);
  return r.stdout.toString().trim().split('\n').map((l) => /\[(NEW|UPDATE|DESTROY)\]/.exec(l)?.[1] ?? l);
}

describe('ct event set', () => {
  it('reports every event without a mask', () => {
    const all = events(EXAMPLE_RULESET);
    expect(all.filter((e) => e === 'NEW')).toHaveLength(7);
    expect(all.filter((e) => e === 'UPDATE').length).toBeGreaterThan(7);
  });

  it('reports only NEW with ct event set new', () => {
    expect(events(rulesetWith('ct event set new'))).toEqual(new Array(7).fill('NEW'));
  });

  it('reports TCP state changes, with the NEW they came with, under ct event set protoinfo', () => {
    const only = events(rulesetWith('ct event set protoinfo'));
    expect(only.filter((e) => e === 'NEW')).toHaveLength(3);
    expect(only.filter((e) => e === 'UPDATE')).toHaveLength(15);
  });
});
