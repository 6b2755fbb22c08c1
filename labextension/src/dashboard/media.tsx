import * as React from 'react';

import {
  downloadArtifact,
  getRunMedia,
  IImageStep,
  IRun,
  IRunMedia
} from '../api';
import { errorMessage, useLoader } from '../hooks';
import { LoadedTable } from './mediaTable';

/** Thumbnails shown around the chosen step in a key's strip. */
const STRIP = 12;

/** An object URL of one artifact (fetched with the API's auth), revoked when unused. */
export function useArtifactUrl(
  runId: string,
  path: string | null
): { url: string | null; error: string | null } {
  const [url, setUrl] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (!path) {
      setUrl(null);
      return;
    }
    let made: string | null = null;
    let current = true;
    downloadArtifact(runId, path).then(
      blob => {
        if (current) {
          made = URL.createObjectURL(blob);
          setUrl(made);
          setError(null);
        }
      },
      reason => current && setError(errorMessage(reason))
    );
    return () => {
      current = false;
      if (made) {
        URL.revokeObjectURL(made);
      }
    };
  }, [runId, path]);
  return { url, error };
}

function ArtifactImage(props: {
  runId: string;
  path: string;
  alt: string;
  className: string;
}): JSX.Element {
  const { url, error } = useArtifactUrl(props.runId, props.path);
  if (error) {
    return <div className="nbtrack-error">{error}</div>;
  }
  return url ? (
    <img className={props.className} src={url} alt={props.alt} />
  ) : (
    <div className={`${props.className} nbtrack-image-loading`} />
  );
}

/** A range input over the indices of `steps`, with the chosen step written beside it. */
function StepSlider(props: {
  steps: number[];
  index: number;
  onIndex: (i: number) => void;
  label: string;
}): JSX.Element | null {
  const n = props.steps.length;
  if (n < 2) {
    return (
      <span className="nbtrack-meta nbtrack-step-label">
        step {props.steps[0] ?? 0}
      </span>
    );
  }
  return (
    <label className="nbtrack-step-slider">
      <input
        type="range"
        min={0}
        max={n - 1}
        step={1}
        value={props.index}
        aria-label={props.label}
        data-testid="image-step"
        onChange={e => props.onIndex(Number(e.target.value))}
      />
      <span
        className="nbtrack-meta nbtrack-step-label"
        data-testid="step-label"
      >
        step {props.steps[props.index]} ({props.index + 1} of {n})
      </span>
    </label>
  );
}

/** One image key of one run: the image at the chosen step, a step slider, a thumbnail strip. */
export function ImageKey(props: {
  runId: string;
  imageKey: string;
  images: IImageStep[];
  compact?: boolean;
}): JSX.Element {
  const { images } = props;
  const [index, setIndex] = React.useState(images.length - 1);
  const i = Math.min(index, images.length - 1);
  const chosen = images[i];
  const start = Math.max(
    0,
    Math.min(i - Math.floor(STRIP / 2), images.length - STRIP)
  );
  return (
    <section
      className={
        props.compact ? 'nbtrack-image-key' : 'nbtrack-card nbtrack-image-key'
      }
      data-testid="image-key"
      data-key={props.imageKey}
    >
      <header className="nbtrack-card-header">
        {props.compact ? (
          <h5 className="nbtrack-truncate" title={props.imageKey}>
            {props.imageKey}
          </h5>
        ) : (
          <h3 className="nbtrack-truncate" title={props.imageKey}>
            {props.imageKey}
          </h3>
        )}
      </header>
      <StepSlider
        steps={images.map(s => s.step)}
        index={i}
        onIndex={setIndex}
        label={`Step of ${props.imageKey}`}
      />
      <ArtifactImage
        runId={props.runId}
        path={props.compact ? chosen.thumbnail_path : chosen.path}
        alt={`${props.imageKey} at step ${chosen.step}`}
        className="nbtrack-logged-image"
      />
      {!props.compact && images.length > 1 && (
        <ol className="nbtrack-image-strip" aria-label="Steps">
          {images.slice(start, start + STRIP).map((s, k) => (
            <li key={s.path}>
              <button
                type="button"
                className={start + k === i ? 'nbtrack-active' : ''}
                title={`step ${s.step}`}
                aria-label={`Show step ${s.step}`}
                onClick={() => setIndex(start + k)}
              >
                <ArtifactImage
                  runId={props.runId}
                  path={s.thumbnail_path}
                  alt=""
                  className="nbtrack-thumb"
                />
                <span className="nbtrack-meta">{s.step}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Every image key and table one run logged (compact: the sidebar's narrow version). */
export function RunMedia(props: {
  runId: string;
  compact?: boolean;
}): JSX.Element {
  const media = useLoader(() => getRunMedia(props.runId), [props.runId]);
  if (media.error) {
    return <div className="nbtrack-error">{media.error}</div>;
  }
  const m = media.value;
  if (!m) {
    return <div className="nbtrack-empty">Loading…</div>;
  }
  if (!m.images.length && !m.tables.length) {
    return (
      <div className="nbtrack-empty" data-testid="run-media">
        No images (log_image with a key) or tables (log_table) logged.
      </div>
    );
  }
  const Title = props.compact ? 'h5' : 'h3';
  return (
    <div
      className={`nbtrack-media${props.compact ? ' nbtrack-media-compact' : ''}`}
      data-testid="run-media"
    >
      {m.images.map(k => (
        <ImageKey
          key={k.key}
          runId={m.run_id}
          imageKey={k.key}
          images={k.images}
          compact={props.compact}
        />
      ))}
      {m.tables.map(path => (
        <section
          key={path}
          className={
            props.compact
              ? 'nbtrack-table-key'
              : 'nbtrack-card nbtrack-table-key'
          }
          data-testid="table-key"
          data-path={path}
        >
          <header className="nbtrack-card-header">
            <Title className="nbtrack-truncate" title={path}>
              {path}
            </Title>
          </header>
          <LoadedTable runId={m.run_id} path={path} compact={props.compact} />
        </section>
      ))}
    </div>
  );
}

/** The image of `images` at the last step not after `step` (else the first). */
function imageAt(images: IImageStep[], step: number): IImageStep {
  let found = images[0];
  for (const s of images) {
    if (s.step <= step) {
      found = s;
    }
  }
  return found;
}

function RunColumnHead(props: { run: IRun; color: string }): JSX.Element {
  return (
    <div
      className="nbtrack-media-run nbtrack-truncate"
      title={`${props.run.info.run_name}\n${props.run.info.run_id}`}
    >
      <i className="nbtrack-swatch" style={{ background: props.color }} />
      {props.run.info.run_name}
    </div>
  );
}

/** One image key across runs: a shared step slider, each run's image side by side. */
function CompareImageKey(props: {
  imageKey: string;
  runs: IRun[];
  media: IRunMedia[];
  colorOf: (runId: string) => string;
}): JSX.Element {
  const perRun = props.media.map(
    m => m.images.find(k => k.key === props.imageKey)?.images ?? []
  );
  const steps = [
    ...new Set(perRun.flatMap(list => list.map(s => s.step)))
  ].sort((a, b) => a - b);
  const [index, setIndex] = React.useState(steps.length - 1);
  const i = Math.min(index, steps.length - 1);
  return (
    <section
      className="nbtrack-card"
      data-testid="compare-image-key"
      data-key={props.imageKey}
    >
      <header className="nbtrack-card-header">
        <h3 className="nbtrack-truncate" title={props.imageKey}>
          {props.imageKey}
        </h3>
        <StepSlider
          steps={steps}
          index={i}
          onIndex={setIndex}
          label={`Step of ${props.imageKey}`}
        />
      </header>
      <div className="nbtrack-media-grid">
        {props.runs.map((run, r) => {
          const list = perRun[r];
          const shown = list.length ? imageAt(list, steps[i]) : null;
          return (
            <figure key={run.info.run_id} className="nbtrack-media-cell">
              <RunColumnHead run={run} color={props.colorOf(run.info.run_id)} />
              {shown ? (
                <>
                  <ArtifactImage
                    runId={run.info.run_id}
                    path={shown.path}
                    alt={`${props.imageKey} of ${run.info.run_name} at step ${shown.step}`}
                    className="nbtrack-logged-image"
                  />
                  <figcaption className="nbtrack-meta">
                    step {shown.step}
                  </figcaption>
                </>
              ) : (
                <div className="nbtrack-empty">Not logged.</div>
              )}
            </figure>
          );
        })}
      </div>
    </section>
  );
}

/** Images (per key, one slider) and tables (per file) of several runs, side by side. */
export function CompareMedia(props: {
  runs: IRun[];
  colorOf: (runId: string) => string;
}): JSX.Element | null {
  const ids = props.runs.map(r => r.info.run_id);
  const media = useLoader(
    () => Promise.all(ids.map(id => getRunMedia(id))),
    [ids.join(',')]
  );
  if (media.error) {
    return <div className="nbtrack-error">{media.error}</div>;
  }
  const list = media.value;
  if (!list || list.length !== props.runs.length) {
    return null;
  }
  const keys = [...new Set(list.flatMap(m => m.images.map(k => k.key)))].sort();
  const tables = [...new Set(list.flatMap(m => m.tables))].sort();
  if (!keys.length && !tables.length) {
    return null;
  }
  return (
    <div className="nbtrack-media" data-testid="compare-media">
      {keys.map(key => (
        <CompareImageKey
          key={key}
          imageKey={key}
          runs={props.runs}
          media={list}
          colorOf={props.colorOf}
        />
      ))}
      {tables.map(path => (
        <section
          key={path}
          className="nbtrack-card"
          data-testid="compare-table"
          data-path={path}
        >
          <header className="nbtrack-card-header">
            <h3 className="nbtrack-truncate" title={path}>
              {path}
            </h3>
          </header>
          <div className="nbtrack-media-grid">
            {props.runs.map((run, r) => (
              <div key={run.info.run_id} className="nbtrack-media-cell">
                <RunColumnHead
                  run={run}
                  color={props.colorOf(run.info.run_id)}
                />
                {list[r].tables.includes(path) ? (
                  <LoadedTable runId={run.info.run_id} path={path} compact />
                ) : (
                  <div className="nbtrack-empty">Not logged.</div>
                )}
              </div>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
