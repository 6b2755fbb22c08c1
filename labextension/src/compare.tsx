import * as React from 'react';

import { getRun, IRun } from './api';
import { StatusBadge } from './badge';
import { formatDuration, formatNumber } from './format';
import { useLoader } from './hooks';

export interface ICompareProps {
  runIds: string[];
  refreshToken: number;
  onOpenRun: (runId: string) => void;
}

function unionKeys(runs: IRun[], pick: (run: IRun) => object): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(pick(run)).forEach(k => keys.add(k)));
  return [...keys].sort();
}

/** Side-by-side params and metrics of two or more runs; rows that differ are highlighted. */
export function CompareRuns(props: ICompareProps): JSX.Element {
  const runs = useLoader(
    () => Promise.all(props.runIds.map(getRun)),
    [props.runIds.join(','), props.refreshToken]
  );
  if (!runs.value) {
    return <div className="nbtrack-error">{runs.error ?? 'Loading…'}</div>;
  }
  const list = runs.value;
  const row = (label: string, cells: string[], kind: string) => {
    const differs = new Set(cells).size > 1;
    return (
      <tr key={`${kind}:${label}`} className={differs ? 'nbtrack-differs' : ''}>
        <th title={`${kind}.${label}`}>{label}</th>
        {cells.map((cell, i) => (
          <td key={i} className={kind === 'metrics' ? 'nbtrack-num' : ''}>
            {cell}
          </td>
        ))}
      </tr>
    );
  };
  return (
    <div className="nbtrack-compare">
      {runs.error && <div className="nbtrack-error">{runs.error}</div>}
      <table className="nbtrack-table" data-testid="compare-table">
        <thead>
          <tr>
            <th />
            {list.map(run => (
              <th key={run.info.run_id}>
                <a
                  className="nbtrack-link"
                  onClick={() => props.onOpenRun(run.info.run_id)}
                >
                  {run.info.run_name}
                </a>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>status</th>
            {list.map(run => (
              <td key={run.info.run_id}>
                <StatusBadge run={run} />
              </td>
            ))}
          </tr>
          {row('duration', list.map(formatDuration), 'attributes')}
          <tr className="nbtrack-group">
            <th colSpan={list.length + 1}>Params</th>
          </tr>
          {unionKeys(list, r => r.data.params).map(key =>
            row(
              key,
              list.map(r => r.data.params[key] ?? ''),
              'params'
            )
          )}
          <tr className="nbtrack-group">
            <th colSpan={list.length + 1}>Metrics</th>
          </tr>
          {unionKeys(list, r => r.data.metrics).map(key =>
            row(
              key,
              list.map(r => formatNumber(r.data.metrics[key])),
              'metrics'
            )
          )}
        </tbody>
      </table>
    </div>
  );
}
