import { requestAPI, requestBlob } from './request';

/** Numbers arrive as numbers, except NaN/Infinity/-Infinity which arrive as strings. */
export type JsonNumber = number | string;

export interface IExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  tags: Record<string, string>;
  creation_time: number | null;
}

export interface IRunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
}

export interface IRun {
  info: IRunInfo;
  data: {
    params: Record<string, string>;
    metrics: Record<string, JsonNumber>;
    tags: Record<string, string>;
  };
  stale: boolean;
}

export interface IMetric {
  key: string;
  value: JsonNumber;
  timestamp: number;
  step: number;
}

export interface IFileInfo {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

export interface IModelVersion {
  name: string;
  version: number;
  current_stage: string;
  run_id: string | null;
  source: string;
  status: string;
  aliases: string[];
  creation_timestamp: number;
}

export interface IRegisteredModel {
  name: string;
  description: string;
  latest_versions: IModelVersion[];
  aliases: Record<string, string>; // alias -> version number, as a string (MLflow)
  last_updated_timestamp: number;
}

export interface IAuditEvent {
  timestamp: number;
  user: string;
  action: string;
  version: number | null;
  before: unknown;
  after: unknown;
  /** What changed, readably (``stage: None → Staging``), from the server. */
  summary: string;
}

export interface IRunSearch {
  filter: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

const enc = encodeURIComponent;

export async function listExperiments(): Promise<IExperiment[]> {
  const reply = await requestAPI<{ experiments: IExperiment[] }>('experiments');
  return reply.experiments;
}

export function searchRuns(
  experimentIds: string[],
  search: IRunSearch
): Promise<{ runs: IRun[]; next_page_token: string | null }> {
  return requestAPI('runs', {
    experiment_ids: experimentIds.join(','),
    filter: search.filter,
    order_by: search.orderBy ?? ['start_time DESC'],
    max_results: search.maxResults ?? 100,
    page_token: search.pageToken
  });
}

export async function getRun(runId: string): Promise<IRun> {
  const reply = await requestAPI<{ run: IRun }>(`runs/${enc(runId)}`);
  return reply.run;
}

export async function getMetricHistory(
  runId: string,
  key: string,
  maxPoints = 200
): Promise<IMetric[]> {
  const reply = await requestAPI<{ history: IMetric[] }>(
    `runs/${enc(runId)}/metrics/${enc(key)}`,
    { max_points: maxPoints }
  );
  return reply.history;
}

export async function listArtifacts(
  runId: string,
  path = ''
): Promise<IFileInfo[]> {
  const reply = await requestAPI<{ files: IFileInfo[] }>(
    `runs/${enc(runId)}/artifacts`,
    { path }
  );
  return reply.files;
}

export function downloadArtifact(runId: string, path: string): Promise<Blob> {
  return requestBlob(`runs/${enc(runId)}/artifact`, { path });
}

export async function listModels(): Promise<IRegisteredModel[]> {
  const reply = await requestAPI<{ models: IRegisteredModel[] }>('models');
  return reply.models;
}

export function getModel(name: string): Promise<{
  model: IRegisteredModel;
  versions: IModelVersion[];
  audit: IAuditEvent[];
}> {
  return requestAPI(`models/${enc(name)}`);
}

export function transitionStage(
  name: string,
  version: number,
  stage: string,
  archiveExisting = false
): Promise<{ model_version: IModelVersion }> {
  return requestAPI(
    `models/${enc(name)}/versions/${version}/stage`,
    {},
    {
      method: 'POST',
      body: JSON.stringify({
        stage,
        archive_existing_versions: archiveExisting
      })
    }
  );
}

export function setAlias(
  name: string,
  alias: string,
  version: number
): Promise<{ model: IRegisteredModel }> {
  return requestAPI(
    `models/${enc(name)}/aliases/${enc(alias)}`,
    {},
    { method: 'POST', body: JSON.stringify({ version }) }
  );
}

export function deleteAlias(
  name: string,
  alias: string
): Promise<{ model: IRegisteredModel }> {
  return requestAPI(
    `models/${enc(name)}/aliases/${enc(alias)}`,
    {},
    { method: 'DELETE' }
  );
}

/** A metric history in columns, thinned by the server (LTTB) to at most `max_points`. */
export interface ISeries {
  key: string;
  x: 'step' | 'time';
  /** How many points the full history has. */
  total: number;
  step: number[];
  timestamp: number[];
  value: JsonNumber[];
}

export function getSeries(
  runId: string,
  key: string,
  x: 'step' | 'time',
  maxPoints: number
): Promise<ISeries> {
  return requestAPI(`runs/${enc(runId)}/series/${enc(key)}`, {
    x,
    max_points: maxPoints
  });
}

export async function setRunTag(
  runId: string,
  key: string,
  value: string
): Promise<Record<string, string>> {
  const reply = await requestAPI<{ tags: Record<string, string> }>(
    `runs/${enc(runId)}/tags/${enc(key)}`,
    {},
    { method: 'PUT', body: JSON.stringify({ value }) }
  );
  return reply.tags;
}

export async function deleteRunTag(
  runId: string,
  key: string
): Promise<Record<string, string>> {
  const reply = await requestAPI<{ tags: Record<string, string> }>(
    `runs/${enc(runId)}/tags/${enc(key)}`,
    {},
    { method: 'DELETE' }
  );
  return reply.tags;
}

export async function getRunModelVersions(
  runId: string
): Promise<IModelVersion[]> {
  const reply = await requestAPI<{ model_versions: IModelVersion[] }>(
    `runs/${enc(runId)}/model-versions`
  );
  return reply.model_versions;
}

/** Which store the server reads: its tracking URI, a local store shown as its folder. */
export async function getStoreUri(): Promise<string> {
  const reply = await requestAPI<{ tracking_uri: string }>('store');
  return reply.tracking_uri.replace(/^(tinydb|file):\/\//, '');
}

/** One logged image of a key (`log_image(key=, step=)`): its step and artifact paths. */
export interface IImageStep {
  step: number;
  timestamp: number;
  path: string;
  thumbnail_path: string;
}

/** What media a run logged: image histories by key (ordered by step) and table files. */
export interface IRunMedia {
  run_id: string;
  images: { key: string; images: IImageStep[] }[];
  tables: string[];
}

/** A logged table (`log_table`), its rows cut to `max_rows`. */
export interface ITable {
  path: string;
  columns: string[];
  data: unknown[][];
  total_rows: number;
}

export function getRunMedia(runId: string): Promise<IRunMedia> {
  return requestAPI(`runs/${enc(runId)}/media`);
}

export function getTable(
  runId: string,
  path: string,
  maxRows = 500
): Promise<ITable> {
  return requestAPI(`runs/${enc(runId)}/table`, { path, max_rows: maxRows });
}

/** One chart's lines: every run's thinned series of one metric, on the axis the server chose. */
export interface IChart {
  key: string;
  x: 'step' | 'time';
  series: (Omit<ISeries, 'key' | 'x'> & { run_id: string })[];
}

/** One chart in one request; `x: 'auto'` lets the server pick (time when all share one step). */
export function getChart(
  runIds: string[],
  key: string,
  x: 'step' | 'time' | 'auto',
  maxPoints: number
): Promise<IChart> {
  return requestAPI('series', {
    run_ids: runIds.join(','),
    key,
    x,
    max_points: maxPoints
  });
}
