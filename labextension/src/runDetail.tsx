import * as React from 'react';

import { downloadArtifact, getRun, IRun, listArtifacts } from './api';
import { StatusBadge } from './badge';
import { runColor } from './charts/scales';
import { ArtifactBrowser } from './dashboard/artifactPreview';
import { RunMedia } from './dashboard/media';
import { IChartSettings, MetricChart, XChoice } from './dashboard/chartsView';
import { formatDuration, formatNumber, formatTime, isLive } from './format';
import { errorMessage, useInterval, useLoader } from './hooks';
import { LIVE_POLL_MS as POLL_MS } from './useRuns';

export const CELL_SOURCE_TAG = 'nbtrack.cell_source';
const CELL_ARTIFACT = 'cell.py';
const MAX_CHARTS = 20;
const CHART_SETTINGS: IChartSettings = {
  xKind: 'auto',
  smoothing: 0,
  logY: false
};

export interface IRunDetailProps {
  runId: string;
  refreshToken: number;
  onInsertCode: (runId: string) => void;
}

/** Everything about one run: params, metrics with sparklines, tags, artifacts, cell source. */
export function RunDetail(props: IRunDetailProps): JSX.Element {
  const [run, setRun] = React.useState<IRun | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const reload = React.useCallback(() => {
    getRun(props.runId).then(
      value => {
        setRun(value);
        setError(null);
      },
      reason => setError(errorMessage(reason))
    );
  }, [props.runId]);
  React.useEffect(reload, [reload, props.refreshToken]);
  useInterval(reload, run && isLive(run) ? POLL_MS : null);

  if (!run) {
    return <div className="nbtrack-error">{error ?? 'Loading…'}</div>;
  }
  const tags = Object.entries(run.data.tags).filter(
    ([k]) => k !== CELL_SOURCE_TAG
  );
  return (
    <div className="nbtrack-run-detail" data-testid="run-detail">
      <h3>
        {run.info.run_name} <StatusBadge run={run} />
      </h3>
      <div className="nbtrack-meta nbtrack-truncate" title={run.info.run_id}>
        <code>{run.info.run_id}</code>
      </div>
      <div className="nbtrack-meta">
        {formatTime(run.info.start_time)} · {formatDuration(run)}
      </div>
      <button
        className="jp-Button jp-mod-styled jp-mod-accept"
        data-testid="insert-run-code"
        onClick={() => props.onInsertCode(run.info.run_id)}
      >
        Insert code
      </button>
      {error && <div className="nbtrack-error">{error}</div>}
      <Section title="Params">
        <KeyValues entries={Object.entries(run.data.params)} />
      </Section>
      <Section title="Metrics">
        <Metrics run={run} />
      </Section>
      <Section title="Tags">
        <KeyValues entries={tags} />
      </Section>
      <Section title="Images and tables">
        <RunMedia runId={run.info.run_id} compact />
      </Section>
      <Section title="Artifacts">
        <ArtifactBrowser runId={run.info.run_id} />
      </Section>
      <Section title="Cell source">
        <CellSource run={run} />
      </Section>
    </div>
  );
}

function Section(props: {
  title: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section className="nbtrack-section">
      <h4>{props.title}</h4>
      {props.children}
    </section>
  );
}

function KeyValues({ entries }: { entries: [string, string][] }): JSX.Element {
  if (!entries.length) {
    return <div className="nbtrack-empty">none</div>;
  }
  return (
    <table className="nbtrack-table nbtrack-kv">
      <tbody>
        {[...entries].sort().map(([key, value]) => (
          <tr key={key}>
            <th title={key}>{key}</th>
            <td title={value}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Metrics({ run }: { run: IRun }): JSX.Element {
  const keys = Object.keys(run.data.metrics).sort();
  const [xKind, setXKind] = React.useState<XChoice>(CHART_SETTINGS.xKind);
  const settings = React.useMemo(() => ({ ...CHART_SETTINGS, xKind }), [xKind]);
  if (!keys.length) {
    return <div className="nbtrack-empty">none</div>;
  }
  return (
    <>
      <table className="nbtrack-table nbtrack-kv" data-testid="metrics-table">
        <tbody>
          {keys.map(key => (
            <tr key={key}>
              <th title={key}>{key}</th>
              <td className="nbtrack-num" title={String(run.data.metrics[key])}>
                {formatNumber(run.data.metrics[key])}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="nbtrack-x-choice" title="What the charts' x axis shows">
        X axis
        <select
          className="jp-mod-styled"
          data-testid="sidebar-x-axis"
          value={xKind}
          onChange={e => setXKind(e.target.value as XChoice)}
        >
          <option value="auto">auto</option>
          <option value="step">step</option>
          <option value="wall">wall time</option>
          <option value="relative">relative time</option>
        </select>
      </label>
      {keys.slice(0, MAX_CHARTS).map(key => (
        <MetricChart
          key={key}
          metric={key}
          runs={[run]}
          colorOf={() => runColor(0)}
          settings={settings}
        />
      ))}
    </>
  );
}

function CellSource({ run }: { run: IRun }): JSX.Element {
  const tagged = run.data.tags[CELL_SOURCE_TAG];
  const source = useLoader(async () => {
    if (tagged !== undefined) {
      return tagged;
    }
    const root = await listArtifacts(run.info.run_id);
    if (!root.some(f => f.path === CELL_ARTIFACT)) {
      return null;
    }
    return (await downloadArtifact(run.info.run_id, CELL_ARTIFACT)).text();
  }, [run.info.run_id, tagged]);
  if (source.error) {
    return <div className="nbtrack-error">{source.error}</div>;
  }
  if (!source.value) {
    return <div className="nbtrack-empty">not captured</div>;
  }
  return (
    <pre className="nbtrack-source" data-testid="cell-source">
      {source.value}
    </pre>
  );
}
