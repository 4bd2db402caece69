// The packet list: one row per packet, filtered by verdict, ct state and
// text, coloured by verdict and state. One row at a time is in the tab
// order; the arrow keys move between rows and Enter or a click chooses one.
import type { PacketRow } from './run.js';

// More rows than this make the page slow to lay out; the filters narrow.
const MAX_ROWS = 2000;

export interface PacketFilter {
  verdict: string;
  state: string;
  text: string;
}

function matches(row: PacketRow, f: PacketFilter): boolean {
  if (f.verdict && row.verdict !== f.verdict) return false;
  if (f.state === 'none' ? row.state !== undefined : f.state && row.state !== f.state) return false;
  if (!f.text) return true;
  const hay = `${row.number} ${row.summary} ${row.decided} ${row.verdict} ${row.state ?? ''} ${row.direction ?? ''}`.toLowerCase();
  return hay.includes(f.text.toLowerCase());
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

export class PacketTable {
  private rows: PacketRow[] = [];
  private selected: number | null = null;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly more: HTMLElement,
    private readonly count: HTMLElement,
    private readonly onChoose: (packet: number) => void,
  ) {
    body.addEventListener('click', (e) => {
      const tr = (e.target as Element).closest('tr');
      if (tr?.dataset.packet) this.choose(Number(tr.dataset.packet), tr);
    });
    body.addEventListener('keydown', (e) => this.key(e));
  }

  show(rows: PacketRow[], filter: PacketFilter): void {
    this.rows = rows;
    this.apply(filter);
  }

  // A new capture: no packet of it is chosen yet.
  clearChoice(): void {
    this.selected = null;
    for (const tr of this.body.querySelectorAll<HTMLTableRowElement>('tr[aria-current="true"]')) tr.setAttribute('aria-current', 'false');
  }

  apply(filter: PacketFilter): void {
    const shown = this.rows.filter((r) => matches(r, filter));
    const fragment = document.createDocumentFragment();
    for (const row of shown.slice(0, MAX_ROWS)) fragment.append(this.rowElement(row));
    this.body.replaceChildren(fragment);
    const focusable = this.body.querySelector<HTMLElement>('tr[aria-current="true"]') ?? this.body.querySelector('tr');
    if (focusable) focusable.tabIndex = 0;
    this.count.textContent = shown.length === this.rows.length ? `${this.rows.length}` : `${shown.length} of ${this.rows.length}`;
    this.more.hidden = shown.length <= MAX_ROWS;
    this.more.textContent = `Showing the first ${MAX_ROWS} of ${shown.length}: narrow the filters to see the rest.`;
  }

  private rowElement(row: PacketRow): HTMLTableRowElement {
    const tr = document.createElement('tr');
    tr.dataset.packet = String(row.number);
    tr.dataset.verdict = row.verdict;
    tr.dataset.state = row.state ?? 'none';
    tr.tabIndex = -1;
    tr.setAttribute('aria-current', String(row.number === this.selected));
    tr.append(
      cell(String(row.number), 'num'),
      cell(row.since, 'time'),
      cell(row.verdict, `verdict ${row.verdict}`),
      cell(row.state ?? '—', `state ${row.state ?? 'none'}`),
      cell(row.direction ?? '', 'dir'),
      cell(row.summary, 'summary'),
      cell(row.decided, 'decided'),
    );
    tr.cells[1].title = row.time;
    // Narrow screens show what decided under the packet (playground.css).
    tr.cells[5].dataset.decided = row.decided;
    return tr;
  }

  private choose(packet: number, tr: HTMLTableRowElement): void {
    this.selected = packet;
    for (const other of this.body.querySelectorAll<HTMLTableRowElement>('tr[aria-current="true"]')) {
      other.setAttribute('aria-current', 'false');
    }
    tr.setAttribute('aria-current', 'true');
    this.focusRow(tr);
    this.onChoose(packet);
  }

  private focusRow(tr: HTMLTableRowElement): void {
    for (const other of this.body.querySelectorAll<HTMLTableRowElement>('tr[tabindex="0"]')) other.tabIndex = -1;
    tr.tabIndex = 0;
    tr.focus();
  }

  private key(e: KeyboardEvent): void {
    const tr = (e.target as Element).closest('tr');
    if (!tr) return;
    let next: Element | null = null;
    switch (e.key) {
      case 'ArrowDown': next = tr.nextElementSibling; break;
      case 'ArrowUp': next = tr.previousElementSibling; break;
      case 'Home': next = this.body.firstElementChild; break;
      case 'End': next = this.body.lastElementChild; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.choose(Number(tr.dataset.packet), tr);
        return;
      default: return;
    }
    e.preventDefault();
    if (next) this.focusRow(next as HTMLTableRowElement);
  }
}
