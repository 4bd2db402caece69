// The ruleset editor: a plain textarea over a backdrop that draws what a
// textarea cannot, the squiggle under each error's span and its message at
// the end of that line, beside a gutter of line numbers. Tab indents as nft
// files do; Escape then Tab leaves, so the keyboard is never trapped.
import { escapeHtml } from './html.js';

export interface SourceError {
  line: number;
  column: number;
  endColumn: number;
  message: string;
}

export class RulesetEditor {
  private errors: readonly SourceError[] = [];
  private escaped = false;

  constructor(
    readonly textarea: HTMLTextAreaElement,
    private readonly backdrop: HTMLElement,
    private readonly gutter: HTMLElement,
    onInput: () => void,
  ) {
    textarea.addEventListener('input', () => {
      this.errors = [];
      this.render();
      onInput();
    });
    textarea.addEventListener('scroll', () => this.syncScroll());
    textarea.addEventListener('keydown', (e) => this.key(e));
    this.render();
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.errors = [];
    this.render();
  }

  showErrors(errors: readonly SourceError[]): void {
    this.errors = errors;
    this.textarea.setAttribute('aria-invalid', String(errors.length > 0));
    this.render();
  }

  // Puts the caret on the error's span, scrolled into view.
  select(line: number, column: number, endColumn: number): void {
    const lines = this.textarea.value.split('\n');
    let at = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
    this.textarea.focus();
    this.textarea.setSelectionRange(at + column - 1, at + endColumn);
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 18;
    const top = (line - 1) * lineHeight;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + this.textarea.clientHeight - lineHeight * 2) {
      this.textarea.scrollTop = Math.max(0, top - this.textarea.clientHeight / 3);
    }
  }

  private key(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      this.escaped = true;
      return;
    }
    const escaped = this.escaped;
    this.escaped = false;
    if (e.key !== 'Tab' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || escaped) return;
    e.preventDefault();
    // execCommand keeps the browser's undo history; setRangeText would not.
    if (!document.execCommand('insertText', false, '\t')) this.textarea.setRangeText('\t', this.textarea.selectionStart, this.textarea.selectionEnd, 'end');
  }

  private render(): void {
    const lines = this.textarea.value.split('\n');
    // A line shows the first of its errors.
    const errorAt = new Map<number, SourceError>();
    for (const e of this.errors) if (!errorAt.has(e.line)) errorAt.set(e.line, e);
    const html = lines.map((text, i) => {
      const err = errorAt.get(i + 1);
      if (!err) return escapeHtml(text);
      const from = Math.min(err.column - 1, text.length);
      const to = Math.max(from + 1, Math.min(err.endColumn, text.length));
      const marked = text.slice(from, to) || ' ';
      return `${escapeHtml(text.slice(0, from))}<mark>${escapeHtml(marked)}</mark>${escapeHtml(text.slice(to))}<span class="lens">  ${escapeHtml(err.message)}</span>`;
    });
    // The trailing line lets the backdrop scroll as far as the textarea.
    this.backdrop.innerHTML = `${html.join('\n')}\n `;
    this.gutter.innerHTML = lines.map((_, i) => (errorAt.has(i + 1) ? `<span class="bad">${i + 1}</span>` : `${i + 1}`)).join('\n') + '\n ';
    this.syncScroll();
  }

  private syncScroll(): void {
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
    this.gutter.scrollTop = this.textarea.scrollTop;
  }
}
