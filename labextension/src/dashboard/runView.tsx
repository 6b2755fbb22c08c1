import * as React from 'react';

import {
  deleteRunTag,
  getRun,
  getRunModelVersions,
  IRun,
  setRunTag
} from '../api';
import { StatusBadge } from '../badge';
import { formatDuration, formatNumber, formatTime, isLive } from '../format';
import { errorMessage, useInterval, useLoader } from '../hooks';
import { IconButton } from '../icons';
import { ArtifactBrowser } from './artifactPreview';
import { ChartsView, IChartSettings } from './chartsView';
import { RunMedia } from './media';
import { CELL_SOURCE_TAG, NOTE_TAG, PARENT_TAG } from './columns';

const TABS = ['Overview', 'Metrics', 'Media', 'Artifacts', 'Source'] as const;
type Tab = (typeof TABS)[number];
const POLL_MS = 3000;

export interface IRunViewProps {
  runId: string;
  refreshToken: number;
  chartSettings: IChartSettings;
  onChartSettings: (s: IChartSettings) => void;
  colorOf: (runId: string) => string;
  onOpen: (runId: string) => void;
  onBack: () => void;
}

/** One run: overview (info, note, params, tags, model versions), metric charts, artifacts. */
export function RunView(props: IRunViewProps): JSX.Element {
  const [tab, setTab] = React.useState<Tab>('Overview');
  const [tick, setTick] = React.useState(0);
  const run = useLoader(
    () => getRun(props.runId),
    [props.runId, props.refreshToken, tick]
  );
  useInterval(
    () => setTick(t => t + 1),
    run.value && isLive(run.value) ? POLL_MS : null
  );
  const r = run.value;
  return (
    <div className="nbtrack-run-view" data-testid="run-view">
      <div className="nbtrack-run-title">
        <IconButton
          icon="back"
          label="Back to runs"
          testId="run-back"
          onClick={props.onBack}
        />
        <h2 className="nbtrack-truncate" title={r?.info.run_name}>
          {r?.info.run_name ?? props.runId}
        </h2>
        {r && <StatusBadge run={r} />}
      </div>
      {run.error && <div className="nbtrack-error">{run.error}</div>}
      <div className="nbtrack-tabs" role="tablist">
        {TABS.map(t => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={`nbtrack-tab${tab === t ? ' nbtrack-active' : ''}`}
            data-testid={`run-tab-${t.toLowerCase()}`}
            onClick={() => setTab(t)}
          >
            {t}
          </button>
        ))}
      </div>
      {r && tab === 'Overview' && (
        <Overview
          run={r}
          onChanged={() => setTick(t => t + 1)}
          onOpen={props.onOpen}
        />
      )}
      {r && tab === 'Metrics' && (
        <>
          <MetricValues run={r} />
          <ChartsView
            runs={[r]}
            colorOf={props.colorOf}
            settings={props.chartSettings}
            onSettings={props.onChartSettings}
            testId="run-charts"
          />
        </>
      )}
      {r && tab === 'Media' && <RunMedia runId={r.info.run_id} />}
      {r && tab === 'Artifacts' && <ArtifactBrowser runId={r.info.run_id} />}
      {r && tab === 'Source' && <CellSource run={r} />}
    </div>
  );
}

function Overview(props: {
  run: IRun;
  onChanged: () => void;
  onOpen: (id: string) => void;
}): JSX.Element {
  const { run } = props;
  const parent = run.data.tags[PARENT_TAG];
  const info: [string, React.ReactNode][] = [
    ['Run ID', <code key="id">{run.info.run_id}</code>],
    ['Experiment', run.info.experiment_id],
    ['Started', formatTime(run.info.start_time)],
    ['Duration', formatDuration(run)],
    ['User', (run.info as unknown as Record<string, string>).user_id ?? ''],
    [
      'Artifacts',
      <span key="a" className="nbtrack-truncate" title={run.info.artifact_uri}>
        {run.info.artifact_uri}
      </span>
    ]
  ];
  if (parent) {
    info.push([
      'Parent run',
      <a key="p" className="nbtrack-link" onClick={() => props.onOpen(parent)}>
        {parent}
      </a>
    ]);
  }
  return (
    <div className="nbtrack-overview">
      <section className="nbtrack-card">
        <dl className="nbtrack-info" data-testid="run-info">
          {info.map(([k, v]) => (
            <React.Fragment key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </React.Fragment>
          ))}
        </dl>
      </section>
      <NoteEditor run={run} onChanged={props.onChanged} />
      <section className="nbtrack-card">
        <h3>Parameters</h3>
        <KeyValueTable
          entries={Object.entries(run.data.params)}
          testId="run-params"
        />
      </section>
      <TagEditor run={run} onChanged={props.onChanged} />
      <ModelVersions runId={run.info.run_id} />
    </div>
  );
}

function KeyValueTable(props: {
  entries: [string, string][];
  testId: string;
}): JSX.Element {
  if (!props.entries.length) {
    return <div className="nbtrack-empty">None.</div>;
  }
  return (
    <table className="nbtrack-table nbtrack-kv" data-testid={props.testId}>
      <tbody>
        {[...props.entries].sort().map(([k, v]) => (
          <tr key={k}>
            <th title={k}>{k}</th>
            <td title={v}>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NoteEditor(props: { run: IRun; onChanged: () => void }): JSX.Element {
  const saved = props.run.data.tags[NOTE_TAG] ?? '';
  const [draft, setDraft] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const save = () =>
    setRunTag(props.run.info.run_id, NOTE_TAG, draft ?? '').then(
      () => {
        setDraft(null);
        setError(null);
        props.onChanged();
      },
      reason => setError(errorMessage(reason))
    );
  return (
    <section className="nbtrack-card" data-testid="run-note">
      <header className="nbtrack-card-header">
        <h3>Note</h3>
        {draft === null && (
          <IconButton
            icon="edit"
            label="Edit note"
            testId="edit-note"
            onClick={() => setDraft(saved)}
          />
        )}
      </header>
      {draft === null ? (
        saved ? (
          <p className="nbtrack-note" data-testid="note-text">
            {saved}
          </p>
        ) : (
          <div className="nbtrack-empty">No note yet.</div>
        )
      ) : (
        <>
          <textarea
            className="jp-mod-styled nbtrack-note-input"
            data-testid="note-input"
            aria-label="Run note"
            rows={4}
            value={draft}
            onChange={e => setDraft(e.target.value)}
          />
          <div className="nbtrack-buttons">
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-accept"
              data-testid="save-note"
              onClick={save}
            >
              Save
            </button>
            <button
              type="button"
              className="jp-Button jp-mod-styled"
              onClick={() => setDraft(null)}
            >
              Cancel
            </button>
          </div>
        </>
      )}
      {error && <div className="nbtrack-error">{error}</div>}
    </section>
  );
}

/** Tags shown elsewhere (note, source) or kept by the tracker, as MLflow's run page hides them. */
const HIDDEN_TAGS = new Set([CELL_SOURCE_TAG]);
const SYSTEM_TAG_PREFIX = 'mlflow.';

function TagEditor(props: { run: IRun; onChanged: () => void }): JSX.Element {
  const [key, setKey] = React.useState('');
  const [value, setValue] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const act = (p: Promise<unknown>) =>
    p.then(
      () => {
        setError(null);
        props.onChanged();
      },
      reason => setError(errorMessage(reason))
    );
  const tags = Object.entries(props.run.data.tags)
    .filter(([k]) => !HIDDEN_TAGS.has(k) && !k.startsWith(SYSTEM_TAG_PREFIX))
    .sort();
  return (
    <section className="nbtrack-card" data-testid="run-tags">
      <h3>Tags</h3>
      <table className="nbtrack-table nbtrack-kv nbtrack-tag-table">
        <tbody>
          {tags.map(([k, v]) => (
            <tr key={k} data-testid="tag-row" data-tag={k}>
              <th title={k}>{k}</th>
              <td title={v}>{v}</td>
              <td className="nbtrack-row-actions">
                <IconButton
                  icon="close"
                  label={`Delete tag ${k}`}
                  testId="delete-tag"
                  onClick={() => act(deleteRunTag(props.run.info.run_id, k))}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="nbtrack-filter"
        onSubmit={e => {
          e.preventDefault();
          if (key.trim()) {
            act(setRunTag(props.run.info.run_id, key.trim(), value)).then(
              () => {
                setKey('');
                setValue('');
              }
            );
          }
        }}
      >
        <input
          className="jp-mod-styled"
          data-testid="tag-key"
          aria-label="Tag name"
          placeholder="name"
          value={key}
          onChange={e => setKey(e.target.value)}
        />
        <input
          className="jp-mod-styled"
          data-testid="tag-value"
          aria-label="Tag value"
          placeholder="value"
          value={value}
          onChange={e => setValue(e.target.value)}
        />
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="add-tag"
        >
          Set tag
        </button>
      </form>
      {error && <div className="nbtrack-error">{error}</div>}
    </section>
  );
}

function ModelVersions(props: { runId: string }): JSX.Element | null {
  const versions = useLoader(
    () => getRunModelVersions(props.runId),
    [props.runId]
  );
  if (!versions.value?.length) {
    return null;
  }
  return (
    <section className="nbtrack-card" data-testid="run-model-versions">
      <h3>Registered model versions</h3>
      <table className="nbtrack-table">
        <thead>
          <tr>
            <th>Model</th>
            <th>Version</th>
            <th>Aliases</th>
            <th>Stage</th>
          </tr>
        </thead>
        <tbody>
          {versions.value.map(v => (
            <tr key={`${v.name}/${v.version}`}>
              <td>{v.name}</td>
              <td>v{v.version}</td>
              <td>{v.aliases.map(a => `@${a}`).join(' ')}</td>
              <td>
                <span
                  className={`nbtrack-stage nbtrack-stage-${v.current_stage.toLowerCase()}`}
                >
                  {v.current_stage}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function MetricValues(props: { run: IRun }): JSX.Element {
  const entries = Object.entries(props.run.data.metrics).sort();
  return (
    <section className="nbtrack-card">
      <h3>Latest values</h3>
      <table className="nbtrack-table nbtrack-kv" data-testid="run-metrics">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th title={k}>{k}</th>
              <td className="nbtrack-num" title={String(v)}>
                {formatNumber(v)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CellSource(props: { run: IRun }): JSX.Element {
  const source = props.run.data.tags[CELL_SOURCE_TAG];
  return source === undefined ? (
    <div className="nbtrack-empty">Cell source not captured for this run.</div>
  ) : (
    <pre className="nbtrack-source" data-testid="run-source">
      {source}
    </pre>
  );
}
