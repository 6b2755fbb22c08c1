import { IRun } from '../api';
import {
  displayStatus,
  formatDuration,
  formatNumber,
  formatShortTime,
  formatTime
} from '../format';

/** Columns of the runs table: attributes, then any param, metric or tag the runs have. */
export type ColumnKind = 'attributes' | 'metrics' | 'params' | 'tags';

export interface IColumn {
  /** "<kind>.<key>", also the order_by field name when sortable. */
  id: string;
  kind: ColumnKind;
  key: string;
}

export const PARENT_TAG = 'mlflow.parentRunId';
export const NOTE_TAG = 'mlflow.note.content';
export const CELL_SOURCE_TAG = 'nbtrack.cell_source';

const ATTRIBUTES = ['run_name', 'status', 'start_time', 'duration', 'user_id'];
const ATTRIBUTE_LABELS: Record<string, string> = {
  run_name: 'Run',
  status: 'Status',
  start_time: 'Started',
  duration: 'Duration',
  user_id: 'User'
};
/** Attributes the server can order by (duration and user are client-side only). */
const SORTABLE_ATTRIBUTES = new Set(['run_name', 'status', 'start_time']);

export function column(kind: ColumnKind, key: string): IColumn {
  return { id: `${kind}.${key}`, kind, key };
}

export function columnLabel(col: IColumn): string {
  return col.kind === 'attributes'
    ? (ATTRIBUTE_LABELS[col.key] ?? col.key)
    : col.key;
}

function keysOf(runs: IRun[], pick: (run: IRun) => object): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(pick(run)).forEach(k => keys.add(k)));
  return [...keys].sort();
}

/** Every column the loaded runs offer, grouped by kind. */
export function availableColumns(runs: IRun[]): IColumn[] {
  return [
    ...ATTRIBUTES.map(k => column('attributes', k)),
    ...keysOf(runs, r => r.data.metrics).map(k => column('metrics', k)),
    ...keysOf(runs, r => r.data.params).map(k => column('params', k)),
    ...keysOf(runs, r => r.data.tags)
      .filter(k => k !== CELL_SOURCE_TAG)
      .map(k => column('tags', k))
  ];
}

/** A first view: name, status, start, duration, up to 4 metrics and 3 params. */
export function defaultColumnIds(runs: IRun[]): string[] {
  return [
    ...['run_name', 'status', 'start_time', 'duration'].map(
      k => `attributes.${k}`
    ),
    ...keysOf(runs, r => r.data.metrics)
      .slice(0, 4)
      .map(k => `metrics.${k}`),
    ...keysOf(runs, r => r.data.params)
      .slice(0, 3)
      .map(k => `params.${k}`)
  ];
}

/** Keys with characters outside [A-Za-z0-9_.] go in backticks, as in the filter grammar. */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)
    ? key
    : `\`${key.replace(/`/g, '')}\``;
}

/** The server-side ``order_by`` clause for a column, or null if it cannot be sorted there. */
export function orderClause(col: IColumn, descending: boolean): string | null {
  if (col.kind === 'attributes' && !SORTABLE_ATTRIBUTES.has(col.key)) {
    return null;
  }
  const field =
    col.kind === 'attributes' ? col.key : `${col.kind}.${quoteKey(col.key)}`;
  return `${field} ${descending ? 'DESC' : 'ASC'}`;
}

/** The text of a cell and its tooltip. */
export function cellText(
  run: IRun,
  col: IColumn
): { text: string; title: string } {
  let text = '';
  let title = '';
  if (col.kind === 'attributes') {
    if (col.key === 'run_name') {
      text = run.info.run_name;
      title = `${run.info.run_name}\n${run.info.run_id}`;
    } else if (col.key === 'status') {
      text = displayStatus(run);
    } else if (col.key === 'start_time') {
      text = formatShortTime(run.info.start_time);
      title = formatTime(run.info.start_time);
    } else if (col.key === 'duration') {
      text = formatDuration(run);
    } else if (col.key === 'user_id') {
      text = (run.info as unknown as Record<string, string>).user_id ?? '';
    }
  } else if (col.kind === 'metrics') {
    const value = run.data.metrics[col.key];
    text = formatNumber(value);
    title = value === undefined ? '' : String(value);
  } else {
    text =
      (col.kind === 'params' ? run.data.params : run.data.tags)[col.key] ?? '';
  }
  return { text, title: title || text };
}

/** A value to sort or plot by: numbers for metrics and numeric params, else the text. */
export function cellValue(
  run: IRun,
  col: IColumn
): number | string | undefined {
  if (col.kind === 'metrics') {
    const v = run.data.metrics[col.key];
    return v === undefined ? undefined : Number(v);
  }
  if (col.kind === 'attributes' && col.key === 'start_time') {
    return run.info.start_time;
  }
  const { text } = cellText(run, col);
  if (text === '') {
    return undefined;
  }
  const num = Number(text);
  return col.kind === 'params' && Number.isFinite(num) ? num : text;
}
