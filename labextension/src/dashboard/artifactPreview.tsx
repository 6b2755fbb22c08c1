import * as React from 'react';

import { downloadArtifact, IFileInfo, listArtifacts } from '../api';
import { formatBytes } from '../format';
import { errorMessage, useLoader } from '../hooks';
import { Icon } from '../icons';

const MAX_PREVIEW_BYTES = 5 * 1024 * 1024;
const MAX_CSV_ROWS = 200;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp)$/i;
const FRAMED = /\.(svg|html?)$/i;
const TEXT =
  /\.(txt|log|py|md|ya?ml|toml|cfg|ini|sh|r|sql|ipynb|json|csv|tsv|mlmodel|MLmodel)$|(^|\/)[^.]+$/i;

export type PreviewKind = 'image' | 'frame' | 'json' | 'csv' | 'text' | 'none';

/** How a file is previewed, by its name and size. */
export function previewKind(file: IFileInfo): PreviewKind {
  if ((file.file_size ?? 0) > MAX_PREVIEW_BYTES) {
    return 'none';
  }
  const path = file.path;
  if (IMAGE.test(path)) {
    return 'image';
  }
  if (FRAMED.test(path)) {
    return 'frame';
  }
  if (/\.json$/i.test(path)) {
    return 'json';
  }
  if (/\.(csv|tsv)$/i.test(path)) {
    return 'csv';
  }
  return TEXT.test(path) ? 'text' : 'none';
}

/** Rows of a CSV/TSV text (quoted fields with commas, doubled quotes and newlines). */
export function parseCsv(text: string, sep = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length <= MAX_CSV_ROWS; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
      }
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Save a Blob under ``name`` through a temporary object URL. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The artifact tree of a run beside a preview of the chosen file. */
export function ArtifactBrowser(props: { runId: string }): JSX.Element {
  const [chosen, setChosen] = React.useState<IFileInfo | null>(null);
  return (
    <div className="nbtrack-artifact-browser" data-testid="artifact-browser">
      <div className="nbtrack-artifact-tree">
        <ArtifactTree
          runId={props.runId}
          path=""
          chosen={chosen}
          onChoose={setChosen}
        />
      </div>
      <div className="nbtrack-artifact-preview" data-testid="artifact-preview">
        {chosen ? (
          <Preview key={chosen.path} runId={props.runId} file={chosen} />
        ) : (
          <div className="nbtrack-empty">Choose a file to preview it.</div>
        )}
      </div>
    </div>
  );
}

function ArtifactTree(props: {
  runId: string;
  path: string;
  chosen: IFileInfo | null;
  onChoose: (file: IFileInfo) => void;
}): JSX.Element {
  const files = useLoader(
    () => listArtifacts(props.runId, props.path),
    [props.runId, props.path]
  );
  const [open, setOpen] = React.useState<Set<string>>(new Set());
  if (files.error) {
    return <div className="nbtrack-error">{files.error}</div>;
  }
  if (files.value && !files.value.length && !props.path) {
    return <div className="nbtrack-empty">No artifacts.</div>;
  }
  const toggle = (dir: string) => {
    const next = new Set(open);
    next.has(dir) ? next.delete(dir) : next.add(dir);
    setOpen(next);
  };
  return (
    <ul className="nbtrack-artifacts">
      {(files.value ?? []).map(file => {
        const name = file.path.split('/').pop();
        return (
          <li key={file.path}>
            {file.is_dir ? (
              <>
                <button
                  type="button"
                  className="nbtrack-tree-item"
                  onClick={() => toggle(file.path)}
                  title={file.path}
                >
                  <Icon
                    name={open.has(file.path) ? 'caretDown' : 'caretRight'}
                  />
                  {name}/
                </button>
                {open.has(file.path) && (
                  <ArtifactTree {...props} path={file.path} />
                )}
              </>
            ) : (
              <button
                type="button"
                className={`nbtrack-tree-item${props.chosen?.path === file.path ? ' nbtrack-active' : ''}`}
                data-testid="artifact-file"
                data-path={file.path}
                title={file.path}
                onClick={() => props.onChoose(file)}
              >
                <span className="nbtrack-tree-spacer" />
                <span className="nbtrack-truncate">{name}</span>
                <span className="nbtrack-meta">
                  {formatBytes(file.file_size)}
                </span>
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function Preview(props: { runId: string; file: IFileInfo }): JSX.Element {
  const kind = previewKind(props.file);
  const blob = useLoader(
    () =>
      kind === 'none'
        ? Promise.resolve(null)
        : downloadArtifact(props.runId, props.file.path),
    [props.runId, props.file.path]
  );
  const [error, setError] = React.useState<string | null>(null);
  const name = props.file.path.split('/').pop() ?? 'artifact';
  const download = () =>
    downloadArtifact(props.runId, props.file.path).then(
      b => saveBlob(b, name),
      reason => setError(errorMessage(reason))
    );
  return (
    <div className="nbtrack-preview" data-kind={kind}>
      <div className="nbtrack-toolbar">
        <span className="nbtrack-truncate" title={props.file.path}>
          {props.file.path}
        </span>
        <span className="nbtrack-meta">
          {formatBytes(props.file.file_size)}
        </span>
        <span className="nbtrack-spacer" />
        <button
          type="button"
          className="jp-Button jp-mod-styled"
          data-testid="artifact-download"
          onClick={download}
        >
          Download
        </button>
      </div>
      {(error || blob.error) && (
        <div className="nbtrack-error">{error ?? blob.error}</div>
      )}
      {kind === 'none' && (
        <div className="nbtrack-empty">
          No preview for this file type or size.
        </div>
      )}
      {blob.value && <PreviewBody kind={kind} blob={blob.value} name={name} />}
    </div>
  );
}

function PreviewBody(props: {
  kind: PreviewKind;
  blob: Blob;
  name: string;
}): JSX.Element {
  const [url, setUrl] = React.useState<string | null>(null);
  const text = useLoader(
    () => (props.kind === 'image' ? Promise.resolve('') : props.blob.text()),
    [props.blob]
  );
  React.useEffect(() => {
    if (props.kind !== 'image') {
      return;
    }
    const made = URL.createObjectURL(props.blob);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [props.blob, props.kind]);
  if (props.kind === 'image') {
    return url ? (
      <img className="nbtrack-preview-image" src={url} alt={props.name} />
    ) : (
      <></>
    );
  }
  if (text.value === null) {
    return <div className="nbtrack-empty">Loading…</div>;
  }
  if (props.kind === 'frame') {
    // sandbox="" : no scripts, no same-origin access, no forms, no navigation of the lab
    return (
      <iframe
        className="nbtrack-preview-frame"
        sandbox=""
        title={props.name}
        srcDoc={text.value}
      />
    );
  }
  if (props.kind === 'csv') {
    const rows = parseCsv(text.value, /\.tsv$/i.test(props.name) ? '\t' : ',');
    return <CsvTable rows={rows} />;
  }
  let shown = text.value;
  if (props.kind === 'json') {
    try {
      shown = JSON.stringify(JSON.parse(text.value), null, 2);
    } catch {
      // not valid JSON: show it as it is
    }
  }
  return <pre className="nbtrack-source nbtrack-preview-text">{shown}</pre>;
}

function CsvTable(props: { rows: string[][] }): JSX.Element {
  const [head, ...body] = props.rows;
  return (
    <div className="nbtrack-table-scroll">
      <table className="nbtrack-table" data-testid="csv-preview">
        <thead>
          <tr>
            {(head ?? []).map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.slice(0, MAX_CSV_ROWS).map((row, i) => (
            <tr key={i}>
              {row.map((c, j) => (
                <td
                  key={j}
                  className={
                    c !== '' && Number.isFinite(Number(c)) ? 'nbtrack-num' : ''
                  }
                >
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {body.length >= MAX_CSV_ROWS && (
        <div className="nbtrack-meta">First {MAX_CSV_ROWS} rows.</div>
      )}
    </div>
  );
}
