import * as React from 'react';

import { IRun } from '../api';
import { StatusBadge } from '../badge';
import { Icon } from '../icons';
import {
  cellText,
  columnLabel,
  IColumn,
  orderClause,
  PARENT_TAG
} from './columns';

export interface ISort {
  columnId: string;
  descending: boolean;
}

export interface IRunsTableProps {
  runs: IRun[];
  columns: IColumn[];
  sort: ISort;
  onSort: (sort: ISort) => void;
  selected: string[];
  onSelect: (runIds: string[]) => void;
  onOpen: (runId: string) => void;
  /** A column id ("params.model", "tags.team") to group rows by, or "". */
  groupBy: string;
  colorOf: (runId: string) => string | undefined;
}

interface IRow {
  run: IRun;
  depth: number;
  childCount: number;
}

/** Runs in tree order: each child right under its parent (when the parent is loaded). */
export function treeRows(runs: IRun[], collapsed: Set<string>): IRow[] {
  const ids = new Set(runs.map(r => r.info.run_id));
  const children = new Map<string, IRun[]>();
  const roots: IRun[] = [];
  for (const run of runs) {
    const parent = run.data.tags[PARENT_TAG];
    if (parent && ids.has(parent) && parent !== run.info.run_id) {
      children.set(parent, [...(children.get(parent) ?? []), run]);
    } else {
      roots.push(run);
    }
  }
  const rows: IRow[] = [];
  const visit = (run: IRun, depth: number) => {
    const kids = children.get(run.info.run_id) ?? [];
    rows.push({ run, depth, childCount: kids.length });
    if (!collapsed.has(run.info.run_id) && depth < 8) {
      kids.forEach(kid => visit(kid, depth + 1));
    }
  };
  roots.forEach(run => visit(run, 0));
  return rows;
}

function groupValue(run: IRun, groupBy: string): string {
  const [kind, ...rest] = groupBy.split('.');
  const key = rest.join('.');
  const source = kind === 'params' ? run.data.params : run.data.tags;
  return source[key] ?? '(none)';
}

/** Runs table: sortable headers, checkboxes for compare/charts, parent/child tree, groups. */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const [collapsed, setCollapsed] = React.useState<Set<string>>(new Set());
  const toggleCollapsed = (id: string) => {
    const next = new Set(collapsed);
    next.has(id) ? next.delete(id) : next.add(id);
    setCollapsed(next);
  };
  const selected = new Set(props.selected);
  const toggle = (id: string) =>
    props.onSelect(
      selected.has(id)
        ? props.selected.filter(s => s !== id)
        : [...props.selected, id]
    );
  const allIds = props.runs.map(r => r.info.run_id);
  const allSelected = allIds.length > 0 && allIds.every(id => selected.has(id));

  const groups: [string, IRow[]][] = props.groupBy
    ? [...groupMap(props.runs, props.groupBy)].map(([value, runs]) => [
        value,
        runs.map(run => ({ run, depth: 0, childCount: 0 }))
      ])
    : [['', treeRows(props.runs, collapsed)]];

  return (
    <div className="nbtrack-table-scroll">
      <table
        className="nbtrack-table nbtrack-runs-table"
        data-testid="runs-table"
      >
        <thead>
          <tr>
            <th className="nbtrack-check">
              <input
                type="checkbox"
                aria-label="Select all loaded runs"
                title="Select all loaded runs"
                checked={allSelected}
                onChange={() => props.onSelect(allSelected ? [] : allIds)}
              />
            </th>
            {props.columns.map(col => (
              <HeaderCell
                key={col.id}
                col={col}
                sort={props.sort}
                onSort={props.onSort}
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map(([value, rows]) => (
            <React.Fragment key={value}>
              {props.groupBy && (
                <tr className="nbtrack-group" data-testid="group-row">
                  <th colSpan={props.columns.length + 1}>
                    {props.groupBy.split('.').slice(1).join('.')} = {value}{' '}
                    <span className="nbtrack-meta">({rows.length})</span>
                  </th>
                </tr>
              )}
              {rows.map(row => (
                <RunRow
                  key={row.run.info.run_id}
                  row={row}
                  columns={props.columns}
                  checked={selected.has(row.run.info.run_id)}
                  collapsed={collapsed.has(row.run.info.run_id)}
                  color={props.colorOf(row.run.info.run_id)}
                  onToggle={() => toggle(row.run.info.run_id)}
                  onCollapse={() => toggleCollapsed(row.run.info.run_id)}
                  onOpen={() => props.onOpen(row.run.info.run_id)}
                />
              ))}
            </React.Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function groupMap(runs: IRun[], groupBy: string): Map<string, IRun[]> {
  const groups = new Map<string, IRun[]>();
  for (const run of runs) {
    const value = groupValue(run, groupBy);
    groups.set(value, [...(groups.get(value) ?? []), run]);
  }
  return new Map(
    [...groups].sort(([a], [b]) =>
      a.localeCompare(b, undefined, { numeric: true })
    )
  );
}

function HeaderCell(props: {
  col: IColumn;
  sort: ISort;
  onSort: (sort: ISort) => void;
}): JSX.Element {
  const { col, sort } = props;
  const sortable = orderClause(col, false) !== null;
  const active = sort.columnId === col.id;
  const label = columnLabel(col);
  const kind = col.kind === 'attributes' ? '' : col.kind.slice(0, -1);
  return (
    <th
      className={`nbtrack-col-${col.kind}${col.kind === 'metrics' ? ' nbtrack-num' : ''}`}
      title={`${col.id}${sortable ? ' (click to sort)' : ''}`}
      aria-sort={
        active ? (sort.descending ? 'descending' : 'ascending') : undefined
      }
    >
      {sortable ? (
        <button
          type="button"
          className="nbtrack-sort"
          data-testid="sort-header"
          data-column={col.id}
          onClick={() =>
            props.onSort({
              columnId: col.id,
              descending: active ? !sort.descending : true
            })
          }
        >
          {kind && <span className="nbtrack-col-kind">{kind}</span>}
          <span className="nbtrack-col-name">{label}</span>
          {active && (
            <span aria-hidden="true">{sort.descending ? ' ▾' : ' ▴'}</span>
          )}
        </button>
      ) : (
        <span className="nbtrack-col-name">{label}</span>
      )}
    </th>
  );
}

function RunRow(props: {
  row: IRow;
  columns: IColumn[];
  checked: boolean;
  collapsed: boolean;
  color: string | undefined;
  onToggle: () => void;
  onCollapse: () => void;
  onOpen: () => void;
}): JSX.Element {
  const { run, depth, childCount } = props.row;
  return (
    <tr
      className={`nbtrack-run-row${props.checked ? ' nbtrack-selected' : ''}`}
      data-testid="run-row"
      data-run-id={run.info.run_id}
      data-run-name={run.info.run_name}
    >
      <td className="nbtrack-check">
        <input
          type="checkbox"
          data-testid="run-select"
          aria-label={`Select ${run.info.run_name}`}
          checked={props.checked}
          onChange={props.onToggle}
        />
      </td>
      {props.columns.map(col => {
        if (col.id === 'attributes.run_name') {
          return (
            <td
              key={col.id}
              className="nbtrack-name-cell"
              title={`${run.info.run_name}\n${run.info.run_id}`}
            >
              <span className="nbtrack-indent" style={{ width: depth * 14 }} />
              {childCount > 0 ? (
                <button
                  type="button"
                  className="nbtrack-tree-toggle"
                  data-testid="tree-toggle"
                  aria-label={`${props.collapsed ? 'Show' : 'Hide'} ${childCount} child runs`}
                  title={`${props.collapsed ? 'Show' : 'Hide'} ${childCount} child runs`}
                  onClick={props.onCollapse}
                >
                  <Icon name={props.collapsed ? 'caretRight' : 'caretDown'} />
                </button>
              ) : (
                <span className="nbtrack-tree-spacer" />
              )}
              {props.color && (
                <i
                  className="nbtrack-swatch"
                  style={{ background: props.color }}
                />
              )}
              <a
                className="nbtrack-link"
                data-testid="run-link"
                onClick={props.onOpen}
              >
                {run.info.run_name}
              </a>
              {childCount > 0 && (
                <span className="nbtrack-meta"> ({childCount})</span>
              )}
            </td>
          );
        }
        if (col.id === 'attributes.status') {
          return (
            <td key={col.id}>
              <StatusBadge run={run} />
            </td>
          );
        }
        const { text, title } = cellText(run, col);
        return (
          <td
            key={col.id}
            className={col.kind === 'metrics' ? 'nbtrack-num' : ''}
            title={title}
          >
            {text}
          </td>
        );
      })}
    </tr>
  );
}
