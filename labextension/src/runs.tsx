import * as React from 'react';

import { IExperiment, IRun, listExperiments } from './api';
import { StatusBadge } from './badge';
import { formatNumber, formatShortTime, formatTime } from './format';
import { useInterval, useLoader } from './hooks';
import { IconButton } from './icons';
import { IDLE_POLL_MS, useRuns } from './useRuns';

const PAGE_SIZE = 100;

export interface IRunsState {
  experimentId: string;
  /** True once the user picked an experiment; until then the newest one is followed. */
  pinned: boolean;
  filter: string;
  selected: string[];
}

export interface IRunsListProps {
  state: IRunsState;
  onChange: (state: IRunsState) => void;
  onOpenRun: (runId: string) => void;
  onCompare: (runIds: string[]) => void;
  refreshToken: number;
  visible: boolean;
}

/** The most recently created experiment: where a new notebook's runs most likely go. */
function newest(experiments: IExperiment[]): IExperiment {
  return experiments.reduce((best, e) =>
    (e.creation_time ?? 0) >= (best.creation_time ?? 0) ? e : best
  );
}

/** The first metric key of the loaded runs: the one value the narrow table has room for. */
function firstMetric(runs: IRun[]): string | undefined {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.data.metrics).forEach(k => keys.add(k)));
  return [...keys].sort()[0];
}

/** Follows the newest experiment until the user picks one. */
function useFollowNewest(
  experiments: IExperiment[] | null,
  state: IRunsState,
  onChange: (state: IRunsState) => void
): void {
  React.useEffect(() => {
    if (!experiments || !experiments.length) {
      return;
    }
    const known = experiments.some(e => e.experiment_id === state.experimentId);
    const follow = newest(experiments).experiment_id;
    if ((!known || !state.pinned) && follow !== state.experimentId) {
      onChange({ ...state, experimentId: follow, pinned: false, selected: [] });
    }
  }, [experiments]);
}

/** Experiment picker, filter box and the runs table of one experiment (sidebar layout). */
export function RunsList(props: IRunsListProps): JSX.Element {
  const { state, onChange } = props;
  const [draft, setDraft] = React.useState(state.filter);
  const experiments = useLoader(listExperiments, [props.refreshToken]);
  useInterval(experiments.reload, props.visible ? IDLE_POLL_MS : null);
  useFollowNewest(experiments.value, state, onChange);
  const runs = useRuns(
    {
      experimentIds: state.experimentId ? [state.experimentId] : [],
      filter: state.filter,
      orderBy: ['start_time DESC'],
      pageSize: PAGE_SIZE
    },
    { active: props.visible, refreshToken: props.refreshToken }
  );
  const toggle = (runId: string) => {
    const selected = state.selected.includes(runId)
      ? state.selected.filter(id => id !== runId)
      : [...state.selected, runId];
    onChange({ ...state, selected });
  };
  const metric = firstMetric(runs.runs);
  const error = runs.error ?? experiments.error;

  return (
    <div className="nbtrack-runs">
      <ExperimentPicker
        experiments={experiments.value ?? []}
        value={state.experimentId}
        onSelect={id =>
          onChange({ ...state, experimentId: id, pinned: true, selected: [] })
        }
      />
      <form
        className="nbtrack-filter"
        onSubmit={event => {
          event.preventDefault();
          onChange({ ...state, filter: draft.trim() });
        }}
      >
        <input
          className="jp-mod-styled"
          data-testid="filter-input"
          aria-label="Filter runs"
          title="Filter, e.g. metrics.acc > 0.9 AND params.lr = '0.1' (Enter to apply)"
          placeholder="metrics.acc > 0.9"
          value={draft}
          onChange={event => setDraft(event.target.value)}
        />
      </form>
      {error && (
        <div className="nbtrack-error" data-testid="filter-error" role="alert">
          {error}
        </div>
      )}
      <div className="nbtrack-actions">
        <span className="nbtrack-meta" data-testid="runs-count">
          {runs.runs.length}
          {runs.hasMore ? '+' : ''} runs
          {state.selected.length ? ` · ${state.selected.length} ticked` : ''}
        </span>
        <span className="nbtrack-spacer" />
        <IconButton
          icon="compare"
          label={
            state.selected.length < 2
              ? 'Compare: tick two or more runs'
              : `Compare ${state.selected.length} runs`
          }
          testId="compare-button"
          disabled={state.selected.length < 2}
          onClick={() => props.onCompare(state.selected)}
        />
      </div>
      <div className="nbtrack-scroll">
        <table
          className="nbtrack-table nbtrack-sidebar-runs"
          data-testid="runs-table"
        >
          <colgroup>
            <col className="nbtrack-col-check" />
            <col />
            <col className="nbtrack-col-status" />
            {metric && <col className="nbtrack-col-metric" />}
          </colgroup>
          <thead>
            <tr>
              <th />
              <th>Run</th>
              <th>Status</th>
              {metric && (
                <th className="nbtrack-num" title={`metrics.${metric}`}>
                  {metric}
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {runs.runs.map(run => (
              <RunRow
                key={run.info.run_id}
                run={run}
                metric={metric}
                checked={state.selected.includes(run.info.run_id)}
                onToggle={() => toggle(run.info.run_id)}
                onOpen={() => props.onOpenRun(run.info.run_id)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {runs.hasMore && (
        <button
          className="jp-Button jp-mod-styled nbtrack-load-more"
          data-testid="load-more"
          disabled={runs.loading}
          onClick={runs.loadMore}
        >
          Load {PAGE_SIZE} more
        </button>
      )}
    </div>
  );
}

function RunRow(props: {
  run: IRun;
  metric: string | undefined;
  checked: boolean;
  onToggle: () => void;
  onOpen: () => void;
}): JSX.Element {
  const { run } = props;
  const title =
    `${run.info.run_name}\nid ${run.info.run_id}\n` +
    `started ${formatTime(run.info.start_time)}`;
  return (
    <tr
      className="nbtrack-run-row"
      data-testid="run-row"
      data-run-id={run.info.run_id}
      data-run-name={run.info.run_name}
      onClick={props.onOpen}
    >
      <td onClick={event => event.stopPropagation()}>
        <input
          type="checkbox"
          data-testid="run-select"
          aria-label={`Tick ${run.info.run_name} to compare`}
          checked={props.checked}
          onChange={props.onToggle}
        />
      </td>
      <td className="nbtrack-run-name" title={title}>
        {run.info.run_name}
        <span className="nbtrack-meta nbtrack-run-when">
          {formatShortTime(run.info.start_time)}
        </span>
      </td>
      <td>
        <StatusBadge run={run} />
      </td>
      {props.metric && (
        <td
          className="nbtrack-num"
          title={`${props.metric} = ${String(run.data.metrics[props.metric] ?? '')}`}
        >
          {formatNumber(run.data.metrics[props.metric])}
        </td>
      )}
    </tr>
  );
}

function ExperimentPicker(props: {
  experiments: IExperiment[];
  value: string;
  onSelect: (id: string) => void;
}): JSX.Element {
  const current = props.experiments.find(e => e.experiment_id === props.value);
  return (
    <select
      className="jp-mod-styled nbtrack-experiment-select"
      data-testid="experiment-select"
      aria-label="Experiment"
      title={current ? `Experiment: ${current.name}` : 'Experiment'}
      value={props.value}
      onChange={event => props.onSelect(event.target.value)}
    >
      {props.experiments.map(e => (
        <option key={e.experiment_id} value={e.experiment_id}>
          {e.name}
        </option>
      ))}
    </select>
  );
}
