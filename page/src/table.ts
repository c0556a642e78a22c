/**
 * A sortable table. Headers are buttons (Tab to reach, Enter/Space to sort; aria-sort tells screen readers).
 * Sorting is local by default; with `onSort` the owner sorts (the tasks table sorts on the server).
 */
import { h, replace, type Child } from './dom';

export interface Column<R> {
  key: string;
  title: string;
  cell: (row: R) => Child;
  /** The value sorted by; default: the cell's text. */
  value?: (row: R) => string | number | undefined;
  numeric?: boolean;
  sortable?: boolean;
}

export interface SortState {
  key: string;
  order: 'asc' | 'desc';
}

export class DataTable<R> {
  readonly el: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly thead: HTMLTableSectionElement;
  private rows: R[] = [];

  constructor(
    private readonly columns: Column<R>[],
    private sort: SortState | undefined,
    private readonly opts: {
      label: string;
      empty?: string;
      onSort?: (s: SortState) => void;
      rowKey?: (r: R) => string;
    } = { label: 'table' },
  ) {
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.el = h('div', { class: 'table-wrap' }, h('table', { 'aria-label': opts.label }, this.thead, this.tbody));
    this.renderHead();
  }

  setRows(rows: R[]): void {
    this.rows = rows;
    this.renderBody();
  }

  private renderHead(): void {
    const tr = h('tr');
    for (const c of this.columns) {
      const active = this.sort?.key === c.key;
      const ariaSort = active ? (this.sort!.order === 'asc' ? 'ascending' : 'descending') : 'none';
      const th = h('th', {
        scope: 'col',
        'aria-sort': c.sortable === false ? undefined : ariaSort,
        class: c.numeric ? 'num' : undefined,
      });
      if (c.sortable === false) th.append(c.title);
      else
        th.append(
          h(
            'button',
            { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => this.toggle(c.key) },
            c.title,
            h(
              'span',
              { class: 'arrow', 'aria-hidden': 'true' },
              active ? (this.sort!.order === 'asc' ? '▲' : '▼') : '↕',
            ),
          ),
        );
      tr.append(th);
    }
    replace(this.thead, tr);
  }

  private toggle(key: string): void {
    this.sort = { key, order: this.sort?.key === key && this.sort.order === 'asc' ? 'desc' : 'asc' };
    this.renderHead();
    (this.thead.querySelector(`button[data-key="${key}"]`) as HTMLElement | null)?.focus();
    if (this.opts.onSort) this.opts.onSort(this.sort);
    else this.renderBody();
  }

  private sorted(): R[] {
    if (!this.sort || this.opts.onSort) return this.rows;
    const col = this.columns.find((c) => c.key === this.sort!.key);
    if (!col) return this.rows;
    const value = col.value ?? ((r: R) => text(col.cell(r)));
    const dir = this.sort.order === 'asc' ? 1 : -1;
    return [...this.rows].sort((a, b) => compare(value(a), value(b)) * dir);
  }

  private renderBody(): void {
    const frag = document.createDocumentFragment();
    for (const r of this.sorted()) {
      const tr = h('tr', { 'data-key': this.opts.rowKey?.(r) });
      for (const c of this.columns) tr.append(h('td', { class: c.numeric ? 'num' : undefined }, c.cell(r)));
      frag.append(tr);
    }
    if (this.rows.length === 0)
      frag.append(
        h('tr', {}, h('td', { colspan: this.columns.length, class: 'empty' }, this.opts.empty ?? 'nothing here')),
      );
    replace(this.tbody, frag);
  }
}

function text(c: Child): string {
  if (c instanceof Node) return c.textContent ?? '';
  return c === null || c === undefined || c === false ? '' : String(c);
}

function compare(a: string | number | undefined, b: string | number | undefined): number {
  if (a === b) return 0;
  if (a === undefined || a === '') return 1;
  if (b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}
