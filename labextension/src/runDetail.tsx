import * as React from 'react';

import {
  downloadArtifact,
  getMetricHistory,
  getRun,
  IFileInfo,
  IMetric,
  IRun,
  listArtifacts
} from './api';
import { StatusBadge } from './badge';
import {
  formatBytes,
  formatDuration,
  formatNumber,
  formatTime,
  isLive
} from './format';
import { errorMessage, useInterval, useLoader } from './hooks';
import { POLL_MS } from './runs';
import { Sparkline } from './sparkline';

export const CELL_SOURCE_TAG = 'nbtrack.cell_source';
const CELL_ARTIFACT = 'cell.py';
const MAX_SPARKLINES = 20;

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
      <div className="nbtrack-meta">
        <code>{run.info.run_id}</code> · {formatTime(run.info.start_time)} ·{' '}
        {formatDuration(run)}
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
      <Section title="Artifacts">
        <Artifacts runId={run.info.run_id} path="" />
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
            <th>{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Metrics({ run }: { run: IRun }): JSX.Element {
  const keys = Object.keys(run.data.metrics).sort();
  const histories = useLoader(async () => {
    const entries = await Promise.all(
      keys
        .slice(0, MAX_SPARKLINES)
        .map(
          async key =>
            [key, await getMetricHistory(run.info.run_id, key)] as const
        )
    );
    return new Map<string, IMetric[]>(entries);
  }, [run]);
  if (!keys.length) {
    return <div className="nbtrack-empty">none</div>;
  }
  return (
    <table className="nbtrack-table nbtrack-kv" data-testid="metrics-table">
      <tbody>
        {keys.map(key => (
          <tr key={key}>
            <th>{key}</th>
            <td className="nbtrack-num">
              {formatNumber(run.data.metrics[key])}
            </td>
            <td>
              <Sparkline points={histories.value?.get(key) ?? []} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Save a Blob under ``name`` through a temporary object URL. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function Artifacts({
  runId,
  path
}: {
  runId: string;
  path: string;
}): JSX.Element {
  const files = useLoader(() => listArtifacts(runId, path), [runId, path]);
  const [open, setOpen] = React.useState<Set<string>>(new Set());
  const [error, setError] = React.useState<string | null>(null);
  const download = (file: IFileInfo) => {
    downloadArtifact(runId, file.path).then(
      blob => saveBlob(blob, file.path.split('/').pop() ?? 'artifact'),
      reason => setError(errorMessage(reason))
    );
  };
  const toggle = (dir: string) => {
    const next = new Set(open);
    next.has(dir) ? next.delete(dir) : next.add(dir);
    setOpen(next);
  };
  if (files.error || error) {
    return <div className="nbtrack-error">{files.error ?? error}</div>;
  }
  if (files.value && !files.value.length && !path) {
    return <div className="nbtrack-empty">none</div>;
  }
  return (
    <ul className="nbtrack-artifacts" data-testid="artifacts">
      {(files.value ?? []).map(file => (
        <li key={file.path}>
          {file.is_dir ? (
            <>
              <a className="nbtrack-link" onClick={() => toggle(file.path)}>
                {open.has(file.path) ? '▾' : '▸'} {file.path.split('/').pop()}/
              </a>
              {open.has(file.path) && (
                <Artifacts runId={runId} path={file.path} />
              )}
            </>
          ) : (
            <a
              className="nbtrack-link"
              data-testid="artifact-download"
              title={`Download ${file.path}`}
              onClick={() => download(file)}
            >
              {file.path.split('/').pop()}{' '}
              <span className="nbtrack-meta">
                {formatBytes(file.file_size)}
              </span>
            </a>
          )}
        </li>
      ))}
    </ul>
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
