import * as React from 'react';

import { getTable, ITable } from '../api';
import { useLoader } from '../hooks';

/** Rows of a logged table asked of the server and shown. */
const TABLE_ROWS = 500;
/** Rows shown in the sidebar's narrow version. */
const COMPACT_TABLE_ROWS = 50;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** A logged table: click a header to sort by it (again to reverse). */
export function TableView(props: {
  table: ITable;
  compact?: boolean;
}): JSX.Element {
  const { table } = props;
  const [sort, setSort] = React.useState<{ col: number; desc: boolean } | null>(
    null
  );
  const numeric = table.columns.map((_, c) =>
    table.data.every(row => row[c] === null || isNumber(row[c]))
  );
  const rows = React.useMemo(() => {
    if (!sort) {
      return table.data;
    }
    const sign = sort.desc ? -1 : 1;
    return [...table.data].sort((a, b) => {
      const x = a[sort.col];
      const y = b[sort.col];
      if (x === null || x === undefined) {
        return 1;
      }
      if (y === null || y === undefined) {
        return -1;
      }
      return (
        sign *
        (isNumber(x) && isNumber(y)
          ? x - y
          : cellText(x).localeCompare(cellText(y)))
      );
    });
  }, [table, sort]);
  const shown = rows.slice(0, props.compact ? COMPACT_TABLE_ROWS : TABLE_ROWS);
  return (
    <>
      <div
        className={`nbtrack-table-scroll nbtrack-logged-table${props.compact ? ' nbtrack-compact-table' : ''}`}
      >
        <table className="nbtrack-table" data-testid="logged-table">
          <thead>
            <tr>
              {table.columns.map((name, c) => {
                const on = sort?.col === c;
                return (
                  <th
                    key={c}
                    className={numeric[c] ? 'nbtrack-num' : ''}
                    aria-sort={
                      on ? (sort?.desc ? 'descending' : 'ascending') : 'none'
                    }
                  >
                    <button
                      type="button"
                      className="nbtrack-sort-button"
                      title={`Sort by ${name}`}
                      data-testid="table-sort"
                      onClick={() =>
                        setSort({ col: c, desc: on ? !sort?.desc : false })
                      }
                    >
                      {name}
                      {on ? (sort?.desc ? ' ▼' : ' ▲') : ''}
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={r}>
                {table.columns.map((_, c) => (
                  <td
                    key={c}
                    className={numeric[c] ? 'nbtrack-num' : ''}
                    title={cellText(row[c])}
                  >
                    {cellText(row[c])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {table.total_rows > shown.length && (
        <div className="nbtrack-meta">
          {shown.length} of {table.total_rows} rows
        </div>
      )}
    </>
  );
}

/** The table logged at ``path`` in a run, fetched (capped) and shown sortable. */
export function LoadedTable(props: {
  runId: string;
  path: string;
  compact?: boolean;
}): JSX.Element {
  const table = useLoader(
    () => getTable(props.runId, props.path, TABLE_ROWS),
    [props.runId, props.path]
  );
  if (table.error) {
    return <div className="nbtrack-error">{table.error}</div>;
  }
  return table.value ? (
    <TableView table={table.value} compact={props.compact} />
  ) : (
    <div className="nbtrack-empty">Loading…</div>
  );
}
