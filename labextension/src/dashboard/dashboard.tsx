import * as React from 'react';

import { getStoreUri, IExperiment, IRun, listExperiments } from '../api';
import { useLoader } from '../hooks';
import { IconButton } from '../icons';
import { ModelsView } from '../models';
import { runColor } from '../charts/scales';
import { IRunsQuery, useRuns } from '../useRuns';
import { ChartsView, IChartSettings } from './chartsView';
import { ColumnChooser } from './columnChooser';
import { availableColumns, defaultColumnIds, orderClause } from './columns';
import { CompareView } from './compareView';
import { FilterBox } from './filterBox';
import { RunView } from './runView';
import { ISort, RunsTable } from './runsTable';

export const PAGE_SIZE = 200;
/** Charts and compare use the ticked runs, or else the first few loaded. */
const DEFAULT_CHART_RUNS = 10;

type Tab = 'runs' | 'charts' | 'compare' | 'models';
const TABS: [Tab, string][] = [
  ['runs', 'Runs'],
  ['charts', 'Charts'],
  ['compare', 'Compare'],
  ['models', 'Models']
];

export interface IDashboardProps {
  /** Whether the dashboard is on screen: polls only then. */
  visible: boolean;
  /** Experiment to open first (else the newest). */
  experimentId?: string;
  /** A later request to show one experiment (a new `seq` each time it is made). */
  show?: { experimentId: string; seq: number };
  /** Called to put code into the user's notebook (absent outside JupyterLab). */
  onInsertCode?: (name: string, version: number) => void;
}

function newest(experiments: IExperiment[]): string {
  return experiments.reduce((best, e) =>
    (e.creation_time ?? 0) >= (best.creation_time ?? 0) ? e : best
  ).experiment_id;
}

/** The main-area nbtrack dashboard: experiments, runs, charts, compare, run detail, models. */
export function Dashboard(props: IDashboardProps): JSX.Element {
  const [refreshToken, setRefreshToken] = React.useState(0);
  const experiments = useLoader(listExperiments, [refreshToken]);
  const store = useLoader(getStoreUri, []);
  const [experimentIds, setExperimentIds] = React.useState<string[]>(
    props.experimentId ? [props.experimentId] : []
  );
  const [tab, setTab] = React.useState<Tab>('runs');
  const [openRun, setOpenRun] = React.useState<string | null>(null);
  const [filter, setFilter] = React.useState('');
  const [sort, setSort] = React.useState<ISort>({
    columnId: 'attributes.start_time',
    descending: true
  });
  const [selected, setSelected] = React.useState<string[]>([]);
  const [shown, setShown] = React.useState<string[] | null>(null);
  const [groupBy, setGroupBy] = React.useState('');
  const [chartSettings, setChartSettings] = React.useState<IChartSettings>({
    xKind: 'auto',
    smoothing: 0,
    logY: false
  });

  React.useEffect(() => {
    if (props.show) {
      setExperimentIds([props.show.experimentId]);
      setTab('runs');
      setOpenRun(null);
      setSelected([]);
    }
  }, [props.show?.seq]);

  React.useEffect(() => {
    const list = experiments.value;
    if (
      list?.length &&
      !experimentIds.some(id => list.some(e => e.experiment_id === id))
    ) {
      setExperimentIds([newest(list)]);
    }
  }, [experiments.value]);

  const columns = React.useMemo(() => availableColumns([]), []);
  const query: IRunsQuery = {
    experimentIds,
    filter,
    orderBy: [
      orderClause(
        {
          id: sort.columnId,
          kind: sort.columnId.split('.')[0] as never,
          key: sort.columnId.split('.').slice(1).join('.')
        },
        sort.descending
      ) ?? 'start_time DESC'
    ],
    pageSize: PAGE_SIZE
  };
  const runs = useRuns(query, {
    active: props.visible && !openRun,
    refreshToken
  });
  const allColumns = React.useMemo(
    () => availableColumns(runs.runs),
    [runs.runs]
  );
  const shownIds = shown ?? defaultColumnIds(runs.runs);
  const shownColumns =
    shownIds
      .map(id => allColumns.find(c => c.id === id))
      .filter(c => c !== undefined) ?? columns;

  const byId = new Map(runs.runs.map(r => [r.info.run_id, r]));
  const chosen: IRun[] = selected.length
    ? (selected.map(id => byId.get(id)).filter(Boolean) as IRun[])
    : runs.runs.slice(0, DEFAULT_CHART_RUNS);
  const colorIndex = new Map(chosen.map((r, i) => [r.info.run_id, i]));
  const colorOf = (id: string) => runColor(colorIndex.get(id) ?? 0);
  const swatchOf = (id: string) =>
    colorIndex.has(id) && selected.length ? colorOf(id) : undefined;
  const keys = allColumns.filter(c => c.kind !== 'attributes').map(c => c.id);
  const groupChoices = allColumns.filter(
    c => c.kind === 'params' || c.kind === 'tags'
  );

  const pickExperiment = (id: string, add: boolean) => {
    setExperimentIds(
      add
        ? experimentIds.includes(id)
          ? experimentIds.filter(e => e !== id)
          : [...experimentIds, id]
        : [id]
    );
    setSelected([]);
    setOpenRun(null);
  };

  return (
    <div className="nbtrack-dashboard" data-testid="nbtrack-dashboard">
      <header className="nbtrack-dash-header">
        <h1>nbtrack</h1>
        <nav className="nbtrack-tabs" role="tablist">
          {TABS.map(([id, label]) => (
            <button
              key={id}
              type="button"
              role="tab"
              aria-selected={tab === id && !openRun}
              className={`nbtrack-tab${tab === id && !openRun ? ' nbtrack-active' : ''}`}
              data-testid={`dash-tab-${id}`}
              onClick={() => {
                setTab(id);
                setOpenRun(null);
              }}
            >
              {label}
              {id === 'compare' && selected.length > 0
                ? ` (${selected.length})`
                : ''}
            </button>
          ))}
        </nav>
        <span className="nbtrack-spacer" />
        <span
          className="nbtrack-store nbtrack-truncate"
          data-testid="store-uri"
          title={`Store: ${store.value ?? ''}`}
        >
          {store.value ?? ''}
        </span>
        <IconButton
          icon="refresh"
          label="Refresh"
          testId="dash-refresh"
          onClick={() => setRefreshToken(t => t + 1)}
        />
      </header>
      <div className="nbtrack-dash-body">
        {tab !== 'models' && (
          <ExperimentList
            experiments={experiments.value ?? []}
            error={experiments.error}
            chosen={experimentIds}
            onPick={pickExperiment}
          />
        )}
        <main className="nbtrack-dash-main">
          {openRun ? (
            <RunView
              runId={openRun}
              refreshToken={refreshToken}
              chartSettings={chartSettings}
              onChartSettings={setChartSettings}
              colorOf={() => runColor(0)}
              onOpen={setOpenRun}
              onBack={() => setOpenRun(null)}
            />
          ) : tab === 'models' ? (
            <ModelsView
              refreshToken={refreshToken}
              onInsertCode={props.onInsertCode}
              wide
            />
          ) : (
            <>
              {tab === 'runs' && (
                <>
                  <FilterBox
                    value={filter}
                    onSubmit={setFilter}
                    keys={keys}
                    error={runs.error}
                    errorPosition={runs.errorPosition}
                  />
                  <div className="nbtrack-toolbar">
                    <span className="nbtrack-meta" data-testid="runs-count">
                      {runs.runs.length}
                      {runs.hasMore ? '+' : ''} runs
                      {runs.hasMore ? ' (more on the server)' : ''}
                      {selected.length ? ` · ${selected.length} selected` : ''}
                    </span>
                    <span className="nbtrack-spacer" />
                    <label>
                      Group by{' '}
                      <select
                        className="jp-mod-styled"
                        data-testid="group-by"
                        value={groupBy}
                        onChange={e => setGroupBy(e.target.value)}
                      >
                        <option value="">(none: parent/child tree)</option>
                        {groupChoices.map(c => (
                          <option key={c.id} value={c.id}>
                            {c.id}
                          </option>
                        ))}
                      </select>
                    </label>
                    <button
                      type="button"
                      className="jp-Button jp-mod-styled"
                      data-testid="dash-compare"
                      disabled={selected.length < 2}
                      onClick={() => setTab('compare')}
                    >
                      Compare
                    </button>
                    <button
                      type="button"
                      className="jp-Button jp-mod-styled"
                      data-testid="dash-chart"
                      disabled={!chosen.length}
                      onClick={() => setTab('charts')}
                    >
                      Chart
                    </button>
                    <ColumnChooser
                      columns={allColumns}
                      shown={shownIds}
                      onChange={setShown}
                    />
                  </div>
                  <RunsTable
                    runs={runs.runs}
                    columns={shownColumns}
                    sort={sort}
                    onSort={setSort}
                    selected={selected}
                    onSelect={setSelected}
                    onOpen={setOpenRun}
                    groupBy={groupBy}
                    colorOf={swatchOf}
                  />
                  {runs.hasMore && (
                    <button
                      type="button"
                      className="jp-Button jp-mod-styled nbtrack-load-more"
                      data-testid="load-more"
                      disabled={runs.loading}
                      onClick={runs.loadMore}
                    >
                      Load {PAGE_SIZE} more
                    </button>
                  )}
                  {!runs.runs.length && !runs.loading && !runs.error && (
                    <div className="nbtrack-empty">
                      No runs in this experiment
                      {filter ? ' match the filter' : ''}.
                    </div>
                  )}
                </>
              )}
              {tab === 'charts' && (
                <>
                  <ChosenNote
                    selected={selected.length}
                    shown={chosen.length}
                  />
                  <ChartsView
                    runs={chosen}
                    colorOf={colorOf}
                    settings={chartSettings}
                    onSettings={setChartSettings}
                  />
                </>
              )}
              {tab === 'compare' && (
                <CompareView
                  runs={selected.length ? chosen : []}
                  colorOf={colorOf}
                  onOpen={setOpenRun}
                />
              )}
            </>
          )}
        </main>
      </div>
    </div>
  );
}

function ChosenNote(props: { selected: number; shown: number }): JSX.Element {
  return (
    <div className="nbtrack-meta nbtrack-chosen-note">
      {props.selected
        ? `Charting the ${props.shown} runs ticked in the Runs table.`
        : `Charting the first ${props.shown} runs; tick runs in the Runs table to choose.`}
    </div>
  );
}

function ExperimentList(props: {
  experiments: IExperiment[];
  error: string | null;
  chosen: string[];
  onPick: (id: string, add: boolean) => void;
}): JSX.Element {
  const [search, setSearch] = React.useState('');
  const list = props.experiments.filter(e =>
    e.name.toLowerCase().includes(search.trim().toLowerCase())
  );
  return (
    <aside className="nbtrack-experiments" data-testid="experiment-list">
      <h2>Experiments</h2>
      <input
        className="jp-mod-styled"
        placeholder="Find an experiment"
        aria-label="Find an experiment"
        value={search}
        onChange={e => setSearch(e.target.value)}
      />
      {props.error && <div className="nbtrack-error">{props.error}</div>}
      <ul>
        {list.map(e => {
          const on = props.chosen.includes(e.experiment_id);
          return (
            <li key={e.experiment_id} className={on ? 'nbtrack-active' : ''}>
              <input
                type="checkbox"
                aria-label={`Also show ${e.name}`}
                title="Show several experiments together"
                checked={on}
                onChange={() => props.onPick(e.experiment_id, true)}
              />
              <button
                type="button"
                className="nbtrack-experiment-name"
                data-testid="experiment-item"
                data-experiment-id={e.experiment_id}
                title={e.name}
                onClick={() => props.onPick(e.experiment_id, false)}
              >
                {e.name}
              </button>
            </li>
          );
        })}
      </ul>
      <p className="nbtrack-meta">
        Click a name to open it; tick several to see their runs together.
      </p>
    </aside>
  );
}
