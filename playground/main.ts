// The playground page: a ruleset compiled as it is typed, a capture opened
// from disk (read here, never sent anywhere) run through it, and what came
// of it: counters, packets, their traces, the conntrack table, the bytecode.
import { compile, NftError, CaptureFormatError, type Ruleset } from '../src/browser.js';
import { RulesetEditor } from './editor.js';
import { escapeHtml } from './html.js';
import { PacketTable, type PacketFilter } from './packet-table.js';
import { runCapture, tracePacket } from './run.js';
import { coverageHtml } from './coverage-view.js';
import { runDiff, showDiff } from './diff-view.js';

const SOURCE_NAME = 'ruleset.nft';
const EXAMPLE = { ruleset: 'examples/web.nft', capture: 'examples/web.pcap', local: '10.99.0.2' };
const COMPILE_DELAY_MS = 250;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}


const status = byId<HTMLParagraphElement>('status');
const localField = byId<HTMLInputElement>('local');
const listing = byId<HTMLPreElement>('listing');
const trace = byId<HTMLPreElement>('trace');
const traceTitle = byId<HTMLHeadingElement>('trace-title');
const conntrack = byId<HTMLPreElement>('conntrack');
const conntrackCount = byId<HTMLSpanElement>('conntrack-count');
const bytecode = byId<HTMLPreElement>('bytecode');
const errorBox = byId<HTMLDivElement>('compile-error');
const errorMessage = byId<HTMLPreElement>('compile-message');
const gotoError = byId<HTMLButtonElement>('goto-error');
const filterVerdict = byId<HTMLSelectElement>('filter-verdict');
const filterState = byId<HTMLSelectElement>('filter-state');
const filterText = byId<HTMLInputElement>('filter-text');
const coverage = byId<HTMLPreElement>('coverage');
const diffStatus = byId<HTMLParagraphElement>('diff-status');
const diffCount = byId<HTMLSpanElement>('diff-count');
const diffBody = byId<HTMLTableElement>('diff-flows').querySelector('tbody')!;

let ruleset: Ruleset | null = null;
let newRuleset: Ruleset | null = null;
let capture: { name: string; bytes: Uint8Array } | null = null;
let chosenPacket: number | null = null;
// Each run and trace takes a number; a slower earlier one must not
// overwrite what a later one showed.
let runNumber = 0;
let traceNumber = 0;
let diffNumber = 0;
let compileTimer: ReturnType<typeof setTimeout> | undefined;
let newCompileTimer: ReturnType<typeof setTimeout> | undefined;

function setStatus(text: string, state: 'idle' | 'running' | 'done' | 'error'): void {
  status.textContent = text;
  status.dataset.state = state;
}

function localAddresses(): string[] {
  return localField.value.split(/[\s,]+/).filter(Boolean);
}

function packetFilter(): PacketFilter {
  return { verdict: filterVerdict.value, state: filterState.value, text: filterText.value.trim() };
}

// Counters that counted something stand out from those still at zero.
function listingHtml(text: string): string {
  return escapeHtml(text).replace(/counter packets (\d+) bytes (\d+)/g, (m, packets: string) =>
    `<span class="counter ${packets === '0' ? 'zero' : 'hit'}">${m}</span>`);
}

function traceHtml(lines: string[]): string {
  return lines.map((line) => escapeHtml(line)
    .replace(/\b(verdict|policy) (accept|drop)\b/, (_m, word: string, v: string) => `${word} <span class="verdict ${v}">${v}</span>`)
    .replace(/^(trace id \S+ )(.*?)( packet: | rule | policy | verdict )/, (_m, id: string, where: string, rest: string) =>
      `<span class="dim">${id}</span><span class="where">${where}</span>${rest}`)).join('\n');
}

const table = new PacketTable(byId('packets').querySelector('tbody')!, byId('packet-more'), byId('packet-count'), (n) => void showTrace(n));

const editor = new RulesetEditor(byId('source'), byId('backdrop'), byId('gutter'), () => {
  clearTimeout(compileTimer);
  compileTimer = setTimeout(() => {
    if (compileSource()) void run();
  }, COMPILE_DELAY_MS);
});

const newEditor = new RulesetEditor(byId('new-source'), byId('new-backdrop'), byId('new-gutter'), () => {
  clearTimeout(newCompileTimer);
  newCompileTimer = setTimeout(() => {
    compileNewSource();
    void diff();
  }, COMPILE_DELAY_MS);
});

function setDiffStatus(text: string, state: 'idle' | 'running' | 'done' | 'error'): void {
  diffStatus.textContent = text;
  diffStatus.dataset.state = state;
}

// The ruleset of the diff view, marked where it is wrong as the first is.
function compileNewSource(): void {
  newRuleset = null;
  diffBody.replaceChildren();
  diffCount.textContent = '';
  if (newEditor.value.trim() === '') {
    newEditor.showErrors([]);
    setDiffStatus('Write the ruleset you would load instead; the connections whose packets would meet another verdict show here.', 'idle');
    return;
  }
  try {
    newRuleset = compile(newEditor.value, { filename: 'new.nft' });
    newEditor.showErrors([]);
  } catch (e) {
    if (!(e instanceof NftError)) throw e;
    newEditor.showErrors(e.errors.map((x) => ({ line: x.line, column: x.column, endColumn: x.endColumn, message: x.message.split('\n')[0].replace(/^.*?: Error: /, '') })));
    setDiffStatus(`The new ruleset has an error at line ${e.line}, column ${e.column}: ${e.message.split('\n')[0].replace(/^.*?: Error: /, '')}`, 'error');
  }
}

async function diff(): Promise<void> {
  if (!ruleset || !newRuleset) return;
  if (!capture) {
    setDiffStatus('The new ruleset compiles. Open a capture or load the example to compare.', 'idle');
    return;
  }
  const mine = ++diffNumber;
  setDiffStatus(`Comparing over ${capture.name}…`, 'running');
  try {
    const result = await runDiff(ruleset, newRuleset, capture.bytes, localAddresses());
    if (mine !== diffNumber) return;
    setDiffStatus(showDiff(diffBody, result), 'done');
    diffCount.textContent = String(result.changes.length);
    diffStatus.dataset.run = String(mine);
  } catch (e) {
    if (mine === diffNumber) setDiffStatus((e as Error).message, 'error');
  }
}

function compileSource(): boolean {
  try {
    ruleset = compile(editor.value, { filename: SOURCE_NAME });
  } catch (e) {
    if (!(e instanceof NftError)) throw e;
    ruleset = null;
    editor.showErrors(e.errors.map((x) => ({ line: x.line, column: x.column, endColumn: x.endColumn, message: x.message.split('\n')[0].replace(/^.*?: Error: /, '') })));
    errorMessage.textContent = e.message;
    gotoError.textContent = `Go to line ${e.line}, column ${e.column}`;
    gotoError.onclick = () => editor.select(e.line, e.column, e.endColumn);
    errorBox.hidden = false;
    document.body.classList.add('stale');
    const more = e.errors.length > 1 ? `${e.errors.length} errors, the first` : 'an error';
    setStatus(`The ruleset has ${more} at line ${e.line}, column ${e.column}.`, 'error');
    return false;
  }
  editor.showErrors([]);
  errorBox.hidden = true;
  document.body.classList.remove('stale');
  bytecode.textContent = ruleset.toNetlinkDebug();
  if (!capture) {
    listing.innerHTML = listingHtml(ruleset.toListing());
    setStatus('The ruleset compiles. Open a capture or load the example to run it.', 'idle');
  }
  return true;
}

async function run(): Promise<void> {
  if (!ruleset || !capture) return;
  const mine = ++runNumber;
  const current = { ruleset, capture, local: localAddresses() };
  setStatus(`Running ${current.capture.name}…`, 'running');
  localField.removeAttribute('aria-invalid');
  try {
    const result = await runCapture(current.ruleset, current.capture.bytes, current.local);
    if (mine !== runNumber) return;
    listing.innerHTML = listingHtml(result.listing);
    coverage.innerHTML = coverageHtml(result.coverage.listing, result.coverage.rules);
    conntrack.textContent = result.conntrack || '(empty)';
    conntrackCount.textContent = String(result.conntrackEntries);
    table.show(result.rows, packetFilter());
    const unseen = result.notEvaluated ? `, ${result.notEvaluated} seen by no hook` : '';
    setStatus(`${current.capture.name}: ${result.rows.length} packets, ${result.accepted} accepted, ${result.dropped} dropped${unseen}; `
      + `${result.conntrackEntries} conntrack entries; ${result.milliseconds.toFixed(0)} ms.`, 'done');
    // Which run the page shows, for scripts that drive it.
    status.dataset.run = String(mine);
    if (chosenPacket !== null && chosenPacket <= result.rows.length) void showTrace(chosenPacket);
    void diff();
  } catch (e) {
    if (mine !== runNumber) return;
    if (e instanceof RangeError && /address/.test(e.message)) localField.setAttribute('aria-invalid', 'true');
    const what = e instanceof CaptureFormatError || e instanceof RangeError ? e.message : `Unexpected failure: ${(e as Error).message}`;
    setStatus(what, 'error');
  }
}

async function showTrace(packet: number): Promise<void> {
  if (!ruleset || !capture) return;
  chosenPacket = packet;
  const mine = ++traceNumber;
  traceTitle.textContent = `Trace of packet ${packet}`;
  try {
    const lines = await tracePacket(ruleset, capture.bytes, localAddresses(), packet);
    if (mine !== traceNumber) return;
    trace.dataset.packet = String(packet);
    trace.innerHTML = lines.length ? traceHtml(lines) : escapeHtml(`Packet ${packet} met no rule or policy: no hook saw it (see its "decided by").`);
  } catch (e) {
    if (mine === traceNumber) trace.textContent = (e as Error).message;
  }
}

async function openCapture(name: string, bytes: Uint8Array): Promise<void> {
  capture = { name, bytes };
  chosenPacket = null;
  table.clearChoice();
  // A trace of the last capture still being made must not land here.
  traceNumber++;
  delete trace.dataset.packet;
  traceTitle.textContent = 'Trace';
  trace.textContent = 'Choose a packet to see its way through the hooks, chains and rules.';
  await run();
}

async function fetchExample(path: string): Promise<Response> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

async function loadExample(): Promise<void> {
  try {
    const [text, bytes] = await Promise.all([
      fetchExample(EXAMPLE.ruleset).then((r) => r.text()),
      fetchExample(EXAMPLE.capture).then((r) => r.arrayBuffer()),
    ]);
    editor.value = text;
    localField.value = EXAMPLE.local;
    clearTimeout(compileTimer);
    compileSource();
    await openCapture('web.pcap (example)', new Uint8Array(bytes));
  } catch (e) {
    setStatus(`The example could not be loaded: ${(e as Error).message}`, 'error');
  }
}

async function openFile(file: File): Promise<void> {
  await openCapture(file.name, new Uint8Array(await file.arrayBuffer()));
}

byId('load-example').addEventListener('click', () => void loadExample());
byId('copy-ruleset').addEventListener('click', () => {
  newEditor.value = editor.value;
  compileNewSource();
  void diff();
});
byId<HTMLInputElement>('capture-file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void openFile(file);
});
localField.addEventListener('change', () => void run());
for (const control of [filterVerdict, filterState]) control.addEventListener('change', () => table.apply(packetFilter()));
filterText.addEventListener('input', () => table.apply(packetFilter()));
byId('packet-filters').addEventListener('submit', (e) => e.preventDefault());

document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = e.dataTransfer?.files[0];
  if (file) void openFile(file);
});

// A first ruleset to edit; the capture waits for the person to choose one.
fetchExample(EXAMPLE.ruleset).then((r) => r.text()).then((text) => {
  if (editor.value === '') {
    editor.value = text;
    compileSource();
  }
}).catch(() => setStatus('Write a ruleset, then open a capture.', 'idle'));
