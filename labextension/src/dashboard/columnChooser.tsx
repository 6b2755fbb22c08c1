import * as React from 'react';

import { IconButton } from '../icons';
import { columnLabel, IColumn } from './columns';

export interface IColumnChooserProps {
  columns: IColumn[];
  shown: string[];
  onChange: (shown: string[]) => void;
}

const KINDS: [IColumn['kind'], string][] = [
  ['attributes', 'Attributes'],
  ['metrics', 'Metrics'],
  ['params', 'Parameters'],
  ['tags', 'Tags']
];

/** A popover of checkboxes over every attribute, metric, param and tag column. */
export function ColumnChooser(props: IColumnChooserProps): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const [search, setSearch] = React.useState('');
  const shown = new Set(props.shown);
  const toggle = (id: string) =>
    props.onChange(
      shown.has(id) ? props.shown.filter(s => s !== id) : [...props.shown, id]
    );
  const match = (c: IColumn) =>
    c.id.toLowerCase().includes(search.trim().toLowerCase());
  return (
    <div className="nbtrack-popover-anchor">
      <IconButton
        icon="columns"
        label="Choose columns"
        testId="column-chooser"
        active={open}
        onClick={() => setOpen(!open)}
      />
      {open && (
        <div className="nbtrack-popover" data-testid="column-chooser-panel">
          <input
            className="jp-mod-styled"
            placeholder="Find a column"
            aria-label="Find a column"
            value={search}
            onChange={e => setSearch(e.target.value)}
          />
          {KINDS.map(([kind, title]) => {
            const cols = props.columns.filter(c => c.kind === kind && match(c));
            return cols.length ? (
              <fieldset key={kind}>
                <legend>{title}</legend>
                {cols.map(c => (
                  <label key={c.id} title={c.id}>
                    <input
                      type="checkbox"
                      data-testid="column-option"
                      data-column={c.id}
                      checked={shown.has(c.id)}
                      onChange={() => toggle(c.id)}
                    />
                    <span>{columnLabel(c)}</span>
                  </label>
                ))}
              </fieldset>
            ) : null;
          })}
          <button
            type="button"
            className="jp-Button jp-mod-styled"
            onClick={() => setOpen(false)}
          >
            Done
          </button>
        </div>
      )}
    </div>
  );
}
