import * as React from 'react';

import { IRun } from '../api';
import { StatusBadge } from '../badge';
import { IPlotRun, ParallelCoordinates, Scatter } from '../charts/plots';
import { displayStatus, formatDuration, formatNumber } from '../format';
import {
  availableColumns,
  cellValue,
  CELL_SOURCE_TAG,
  IColumn
} from './columns';
import { CompareMedia } from './media';
import { diffLines } from './sourceDiff';

export interface ICompareViewProps {
  runs: IRun[];
  colorOf: (runId: string) => string;
  onOpen: (runId: string) => void;
}

function unionKeys(runs: IRun[], pick: (run: IRun) => object): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(pick(run)).forEach(k => keys.add(k)));
  return [...keys].sort();
}

/** One row of the attributes/params table: a label and each run's text. */
interface ITextRow {
  id: string;
  label: string;
  title: string;
  values: (run: IRun) => React.ReactNode;
  /** What is compared to decide whether the runs differ. */
  key: (run: IRun) => string;
}

function differs(runs: IRun[], key: (run: IRun) => string): boolean {
  return new Set(runs.map(key)).size > 1;
}

/** Width of every run column, so the params and metrics tables line up. */
const RUN_COLUMN_PX = 150;
const KEY_COLUMN_PX = 200;

function Columns(props: { runs: IRun[] }): JSX.Element {
  return (
    <colgroup>
      <col style={{ width: KEY_COLUMN_PX }} />
      {props.runs.map(r => (
        <col key={r.info.run_id} />
      ))}
    </colgroup>
  );
}

function tableStyle(runs: IRun[]): React.CSSProperties {
  return { minWidth: KEY_COLUMN_PX + runs.length * RUN_COLUMN_PX };
}

/** Params diff, metrics, parallel coordinates, a scatter, media and a source diff of chosen runs. */
export function CompareView(props: ICompareViewProps): JSX.Element {
  const { runs } = props;
  const [onlyDiff, setOnlyDiff] = React.useState(true);
  if (runs.length < 2) {
    return (
      <div className="nbtrack-empty" data-testid="compare-view">
        Tick two or more runs in the Runs table to compare them.
      </div>
    );
  }
  const textRows: ITextRow[] = [
    {
      id: 'status',
      label: 'status',
      title: 'Run status',
      values: r => <StatusBadge run={r} />,
      key: displayStatus
    },
    {
      id: 'duration',
      label: 'duration',
      title: 'Run duration',
      values: formatDuration,
      key: formatDuration
    },
    ...unionKeys(runs, r => r.data.params).map(k => ({
      id: `params.${k}`,
      label: k,
      title: `params.${k}`,
      values: (r: IRun) => r.data.params[k] ?? '—',
      key: (r: IRun) => r.data.params[k] ?? ''
    }))
  ];
  const metrics = unionKeys(runs, r => r.data.metrics);
  const metricKey = (m: string) => (r: IRun) => String(r.data.metrics[m] ?? '');
  const textShown = textRows.filter(row => !onlyDiff || differs(runs, row.key));
  const metricsShown = metrics.filter(
    m => !onlyDiff || differs(runs, metricKey(m))
  );
  const total = textRows.length + metrics.length;
  const differing =
    textRows.filter(row => differs(runs, row.key)).length +
    metrics.filter(m => differs(runs, metricKey(m))).length;
  return (
    <div className="nbtrack-compare-view" data-testid="compare-view">
      <div className="nbtrack-toolbar">
        <label>
          <input
            type="checkbox"
            data-testid="only-differences"
            checked={onlyDiff}
            onChange={e => setOnlyDiff(e.target.checked)}
          />{' '}
          Only differences ({differing} of {total} rows differ)
        </label>
      </div>
      <section className="nbtrack-card">
        <header className="nbtrack-card-header">
          <h3>Run and parameters</h3>
        </header>
        <div className="nbtrack-table-scroll">
          <table
            className="nbtrack-table nbtrack-compare-table"
            data-testid="params-diff"
            style={tableStyle(runs)}
          >
            <Columns runs={runs} />
            <RunHeader {...props} numeric={false} />
            <tbody>
              {textShown.map(row => (
                <tr
                  key={row.id}
                  className={differs(runs, row.key) ? 'nbtrack-differs' : ''}
                  data-testid="param-row"
                  data-row={row.id}
                >
                  <th title={row.title}>{row.label}</th>
                  {runs.map(r => (
                    <td key={r.info.run_id} title={row.key(r)}>
                      {row.values(r)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {!textShown.length && (
            <div className="nbtrack-empty">
              Same status, duration and parameters.
            </div>
          )}
        </div>
      </section>
      <section className="nbtrack-card">
        <header className="nbtrack-card-header">
          <h3>Metrics</h3>
          <span className="nbtrack-meta">
            ★ best per row (max; min for keys containing “loss” or “err”)
          </span>
        </header>
        <div className="nbtrack-table-scroll">
          <table
            className="nbtrack-table nbtrack-compare-table"
            data-testid="metrics-compare"
            style={tableStyle(runs)}
          >
            <Columns runs={runs} />
            <RunHeader {...props} numeric />
            <tbody>
              {metricsShown.map(key => (
                <MetricRow key={key} metric={key} runs={runs} />
              ))}
            </tbody>
          </table>
          {!metricsShown.length && (
            <div className="nbtrack-empty">
              {metrics.length ? 'Same latest metrics.' : 'No metrics.'}
            </div>
          )}
        </div>
      </section>
      <Plots {...props} />
      <CompareMedia runs={runs} colorOf={props.colorOf} />
      <SourceDiff runs={runs} />
    </div>
  );
}

/** Run names over their columns: right-aligned over numbers, left-aligned over text. */
function RunHeader(
  props: ICompareViewProps & { numeric: boolean }
): JSX.Element {
  return (
    <thead>
      <tr>
        <th />
        {props.runs.map(r => (
          <th
            key={r.info.run_id}
            className={props.numeric ? 'nbtrack-num-head' : ''}
            title={`${r.info.run_name}\n${r.info.run_id}`}
          >
            <i
              className="nbtrack-swatch"
              style={{ background: props.colorOf(r.info.run_id) }}
            />
            <a
              className="nbtrack-link"
              onClick={() => props.onOpen(r.info.run_id)}
            >
              {r.info.run_name}
            </a>
          </th>
        ))}
      </tr>
    </thead>
  );
}

const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity/i;

function MetricRow(props: { metric: string; runs: IRun[] }): JSX.Element {
  const values = props.runs.map(r => Number(r.data.metrics[props.metric]));
  const finite = values.filter(Number.isFinite);
  const best = LOWER_IS_BETTER.test(props.metric)
    ? Math.min(...finite)
    : Math.max(...finite);
  return (
    <tr data-testid="metric-row" data-metric={props.metric}>
      <th title={`metrics.${props.metric}`}>{props.metric}</th>
      {props.runs.map((r, i) => {
        const isBest = finite.length > 1 && values[i] === best;
        return (
          <td
            key={r.info.run_id}
            className={`nbtrack-num${isBest ? ' nbtrack-best' : ''}`}
          >
            {isBest && <span aria-label="best">★ </span>}
            {formatNumber(r.data.metrics[props.metric])}
          </td>
        );
      })}
    </tr>
  );
}

function ColumnSelect(props: {
  label: string;
  columns: IColumn[];
  value: string;
  onChange: (id: string) => void;
  testId: string;
}): JSX.Element {
  return (
    <label>
      {props.label}{' '}
      <select
        className="jp-mod-styled"
        data-testid={props.testId}
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
      >
        {props.columns.map(c => (
          <option key={c.id} value={c.id}>
            {c.id}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Parallel coordinates over the differing params and the metrics; a scatter of any two. */
function Plots(props: ICompareViewProps): JSX.Element {
  const cols = availableColumns(props.runs).filter(
    c => c.kind === 'metrics' || c.kind === 'params'
  );
  const varying = cols.filter(
    c => new Set(props.runs.map(r => String(cellValue(r, c)))).size > 1
  );
  const axes = (varying.length ? varying : cols).slice(0, 8);
  const firstMetric = cols.find(c => c.kind === 'metrics');
  const firstParam = varying.find(c => c.kind === 'params') ?? cols[0];
  const [xId, setX] = React.useState(firstParam?.id ?? '');
  const [yId, setY] = React.useState(firstMetric?.id ?? cols[1]?.id ?? '');
  const byId = (id: string) => cols.find(c => c.id === id);
  const plotRuns = (chosen: IColumn[]): IPlotRun[] =>
    props.runs.map(r => ({
      id: r.info.run_id,
      label: r.info.run_name,
      color: props.colorOf(r.info.run_id),
      values: chosen.map(c => cellValue(r, c))
    }));
  const xc = byId(xId);
  const yc = byId(yId);
  return (
    <div className="nbtrack-plots">
      <section className="nbtrack-card">
        <header className="nbtrack-card-header">
          <h3>Parallel coordinates</h3>
          <span className="nbtrack-meta">
            columns that differ between the runs
          </span>
        </header>
        <ParallelCoordinates axes={axes.map(c => c.id)} runs={plotRuns(axes)} />
      </section>
      <section className="nbtrack-card">
        <header className="nbtrack-card-header">
          <h3>Scatter</h3>
          <ColumnSelect
            label="X"
            columns={cols}
            value={xId}
            onChange={setX}
            testId="scatter-x"
          />
          <ColumnSelect
            label="Y"
            columns={cols}
            value={yId}
            onChange={setY}
            testId="scatter-y"
          />
        </header>
        {xc && yc && <Scatter x={xc.id} y={yc.id} runs={plotRuns([xc, yc])} />}
      </section>
    </div>
  );
}

/** Line diff of the first chosen run's cell source against each other run's. */
function SourceDiff(props: { runs: IRun[] }): JSX.Element | null {
  const [other, setOther] = React.useState(1);
  const base = props.runs[0];
  const against = props.runs[Math.min(other, props.runs.length - 1)];
  const a = base.data.tags[CELL_SOURCE_TAG];
  const b = against.data.tags[CELL_SOURCE_TAG];
  return (
    <section className="nbtrack-card" data-testid="source-diff">
      <header className="nbtrack-card-header">
        <h3>Cell source</h3>
        <span className="nbtrack-meta">{base.info.run_name} →</span>
        <select
          className="jp-mod-styled"
          aria-label="Run to diff against"
          value={Math.min(other, props.runs.length - 1)}
          onChange={e => setOther(Number(e.target.value))}
        >
          {props.runs.slice(1).map((r, i) => (
            <option key={r.info.run_id} value={i + 1}>
              {r.info.run_name}
            </option>
          ))}
        </select>
      </header>
      {a === undefined || b === undefined ? (
        <div className="nbtrack-empty">
          Cell source not captured for both runs.
        </div>
      ) : a === b ? (
        <div className="nbtrack-empty">Same cell source.</div>
      ) : (
        <pre className="nbtrack-diff">
          {diffLines(a, b).map((line, i) => (
            <div key={i} className={`nbtrack-diff-${line.kind}`}>
              <span className="nbtrack-diff-mark" aria-hidden="true">
                {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ' '}
              </span>
              {line.text}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}
