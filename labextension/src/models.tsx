import * as React from 'react';

import {
  deleteAlias,
  getModel,
  IAuditEvent,
  IModelVersion,
  listModels,
  setAlias,
  transitionStage
} from './api';
import { formatTime } from './format';
import { errorMessage, useLoader } from './hooks';

export interface IModelsProps {
  refreshToken: number;
  /** Puts loading code into the notebook; absent outside JupyterLab. */
  onInsertCode?: (name: string, version: number) => void;
  /** Main-area layout (more columns) rather than the sidebar's. */
  wide?: boolean;
}

/** Registered models; opening one shows its versions, aliases and audit trail. */
export function ModelsView(props: IModelsProps): JSX.Element {
  const [open, setOpen] = React.useState<string | null>(null);
  const models = useLoader(listModels, [props.refreshToken]);
  if (open) {
    return (
      <div className="nbtrack-models">
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => setOpen(null)}
        >
          ← All models
        </button>
        <ModelDetail name={open} {...props} />
      </div>
    );
  }
  return (
    <div
      className={`nbtrack-models${props.wide ? ' nbtrack-wide' : ''}`}
      data-testid="models-list"
    >
      {models.error && <div className="nbtrack-error">{models.error}</div>}
      {models.value && !models.value.length && (
        <div className="nbtrack-empty">No registered models yet.</div>
      )}
      <table className="nbtrack-table nbtrack-models-table">
        <thead>
          <tr>
            <th>Model</th>
            <th>Aliases</th>
            <th>Latest by stage</th>
          </tr>
        </thead>
        <tbody>
          {(models.value ?? []).map(model => (
            <tr
              key={model.name}
              className="nbtrack-run-row"
              data-testid="model-row"
              data-model-name={model.name}
              onClick={() => setOpen(model.name)}
            >
              <th className="nbtrack-truncate" title={model.name}>
                <a className="nbtrack-link">{model.name}</a>
              </th>
              <td>
                {Object.entries(model.aliases).map(([alias, v]) => (
                  <span
                    key={alias}
                    className="nbtrack-alias"
                    title={`@${alias} → version ${v}`}
                  >
                    @{alias}→v{v}
                  </span>
                ))}
              </td>
              <td>
                {model.latest_versions.map(v => (
                  <span
                    key={v.version}
                    className={`nbtrack-stage nbtrack-stage-${v.current_stage.toLowerCase()}`}
                    title={`version ${v.version}: ${v.current_stage}`}
                  >
                    v{v.version} {v.current_stage}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Stage moves: [stage, short label, tooltip, test id]; short so they fit the sidebar. */
const ACTIONS: [string, string, string, string][] = [
  ['Staging', 'Staging', 'Promote to Staging', 'promote-staging'],
  ['Production', 'Production', 'Promote to Production', 'promote-production'],
  ['Archived', 'Archive', 'Move to Archived', 'archive']
];

function ModelDetail(props: IModelsProps & { name: string }): JSX.Element {
  const [tick, setTick] = React.useState(0);
  const [error, setError] = React.useState<string | null>(null);
  const detail = useLoader(
    () => getModel(props.name),
    [props.name, props.refreshToken, tick]
  );
  const act = (action: Promise<unknown>) =>
    action.then(
      () => {
        setError(null);
        setTick(t => t + 1);
      },
      reason => setError(errorMessage(reason))
    );
  if (!detail.value) {
    return <div className="nbtrack-error">{detail.error ?? 'Loading…'}</div>;
  }
  const { model, versions, audit } = detail.value;
  return (
    <div className="nbtrack-model-detail" data-testid="model-detail">
      <h3>{model.name}</h3>
      {model.description && <p>{model.description}</p>}
      {(error || detail.error) && (
        <div className="nbtrack-error" data-testid="model-error">
          {error ?? detail.error}
        </div>
      )}
      <AliasForm
        aliases={model.aliases}
        versions={versions.map(v => v.version)}
        onSet={(alias, version) => act(setAlias(model.name, alias, version))}
        onDelete={alias => act(deleteAlias(model.name, alias))}
      />
      <h4>Versions</h4>
      <table className="nbtrack-table nbtrack-versions-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Aliases</th>
            <th>Stage</th>
            <th>Move to</th>
          </tr>
        </thead>
        <tbody>
          {versions.map(v => (
            <VersionRow
              key={v.version}
              version={v}
              onStage={stage =>
                act(transitionStage(model.name, v.version, stage))
              }
              onInsertCode={
                props.onInsertCode
                  ? () => props.onInsertCode?.(model.name, v.version)
                  : undefined
              }
            />
          ))}
        </tbody>
      </table>
      <AuditTrail events={audit} />
    </div>
  );
}

function VersionRow(props: {
  version: IModelVersion;
  onStage: (stage: string) => void;
  onInsertCode?: () => void;
}): JSX.Element {
  const v = props.version;
  return (
    <tr
      data-testid="version-row"
      data-version={v.version}
      data-stage={v.current_stage}
    >
      <td title={v.run_id ? `from run ${v.run_id}` : v.source}>v{v.version}</td>
      <td>{v.aliases.map(a => `@${a}`).join(' ')}</td>
      <td>
        <span
          className={`nbtrack-stage nbtrack-stage-${v.current_stage.toLowerCase()}`}
        >
          {v.current_stage}
        </span>
      </td>
      <td className="nbtrack-buttons">
        {ACTIONS.filter(([stage]) => stage !== v.current_stage).map(
          ([stage, label, tip, id]) => (
            <button
              key={stage}
              className="jp-Button jp-mod-styled"
              title={tip}
              data-testid={id}
              onClick={() => props.onStage(stage)}
            >
              {label}
            </button>
          )
        )}
        {props.onInsertCode && (
          <button
            className="jp-Button jp-mod-styled"
            data-testid="insert-model-code"
            title="Insert code that loads this version into the active notebook cell"
            onClick={props.onInsertCode}
          >
            Code
          </button>
        )}
      </td>
    </tr>
  );
}

function AliasForm(props: {
  aliases: Record<string, string>;
  versions: number[];
  onSet: (alias: string, version: number) => void;
  onDelete: (alias: string) => void;
}): JSX.Element {
  const [alias, setAliasText] = React.useState('');
  const [version, setVersion] = React.useState<number | null>(null);
  const chosen = version ?? props.versions[0];
  return (
    <div className="nbtrack-aliases">
      <h4>Aliases</h4>
      {Object.entries(props.aliases).map(([name, v]) => (
        <span key={name} className="nbtrack-alias" data-testid="alias">
          @{name} → v{v}{' '}
          <a
            className="nbtrack-link"
            title="Remove alias"
            onClick={() => props.onDelete(name)}
          >
            ✕
          </a>
        </span>
      ))}
      <form
        className="nbtrack-filter nbtrack-alias-form"
        onSubmit={event => {
          event.preventDefault();
          if (alias.trim() && chosen !== undefined) {
            props.onSet(alias.trim(), chosen);
            setAliasText('');
          }
        }}
      >
        <input
          className="jp-mod-styled"
          data-testid="alias-input"
          placeholder="alias, e.g. champion"
          value={alias}
          onChange={event => setAliasText(event.target.value)}
        />
        <select
          className="jp-mod-styled"
          value={chosen}
          onChange={event => setVersion(Number(event.target.value))}
        >
          {props.versions.map(v => (
            <option key={v} value={v}>
              v{v}
            </option>
          ))}
        </select>
        <button className="jp-Button jp-mod-styled jp-mod-accept" type="submit">
          Set alias
        </button>
      </form>
    </div>
  );
}

function AuditTrail({ events }: { events: IAuditEvent[] }): JSX.Element {
  return (
    <div className="nbtrack-audit">
      <h4>Audit trail</h4>
      <ul data-testid="audit">
        {[...events].reverse().map((e, i) => (
          <li
            key={i}
            title={JSON.stringify({ before: e.before, after: e.after })}
          >
            {formatTime(e.timestamp)} · {e.user} · {e.action}
            {e.version !== null ? ` v${e.version}` : ''}
            {e.summary ? `: ${e.summary}` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}
