import * as React from 'react';

export interface IFilterBoxProps {
  value: string;
  onSubmit: (filter: string) => void;
  /** Field names offered while typing, e.g. "metrics.acc", "params.lr". */
  keys: string[];
  error: string | null;
  errorPosition: number | null;
}

const MAX_SUGGESTIONS = 8;

/** The word being typed at the caret: its start offset and text. */
function currentWord(text: string, caret: number): [number, string] {
  let start = caret;
  while (start > 0 && !/[\s()=<>!,]/.test(text[start - 1])) {
    start -= 1;
  }
  return [start, text.slice(start, caret)];
}

/**
 * The runs filter (MLflow's grammar plus OR and parentheses). Offers field names as you type
 * (Tab or click takes the first / chosen one) and, when the server rejects the filter, shows
 * the message with a caret under the offending position.
 */
export function FilterBox(props: IFilterBoxProps): JSX.Element {
  const [draft, setDraft] = React.useState(props.value);
  const [caret, setCaret] = React.useState(0);
  const [focused, setFocused] = React.useState(false);
  const input = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => setDraft(props.value), [props.value]);

  const [start, word] = currentWord(draft, caret);
  const suggestions =
    focused && word.length > 0
      ? props.keys
          .filter(
            k => k.toLowerCase().startsWith(word.toLowerCase()) && k !== word
          )
          .slice(0, MAX_SUGGESTIONS)
      : [];
  const accept = (key: string) => {
    const next = draft.slice(0, start) + key + draft.slice(caret);
    setDraft(next);
    const at = start + key.length;
    window.requestAnimationFrame(() => {
      input.current?.setSelectionRange(at, at);
      setCaret(at);
    });
  };

  return (
    <div className="nbtrack-filter-box">
      <form
        className="nbtrack-filter"
        onSubmit={event => {
          event.preventDefault();
          props.onSubmit(draft.trim());
        }}
      >
        <input
          ref={input}
          className="jp-mod-styled"
          data-testid="filter-input"
          aria-label="Filter runs"
          spellCheck={false}
          placeholder="metrics.acc > 0.9 AND params.lr = '0.1'"
          value={draft}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
          onChange={event => {
            setDraft(event.target.value);
            setCaret(event.target.selectionStart ?? event.target.value.length);
          }}
          onKeyUp={event => setCaret(event.currentTarget.selectionStart ?? 0)}
          onKeyDown={event => {
            if (event.key === 'Tab' && suggestions.length) {
              event.preventDefault();
              accept(suggestions[0]);
            }
          }}
        />
        <button className="jp-Button jp-mod-styled jp-mod-accept" type="submit">
          Search
        </button>
        {props.value && (
          <button
            className="jp-Button jp-mod-styled"
            type="button"
            onClick={() => props.onSubmit('')}
          >
            Clear
          </button>
        )}
      </form>
      {suggestions.length > 0 && (
        <ul className="nbtrack-suggestions" data-testid="filter-suggestions">
          {suggestions.map(key => (
            <li
              key={key}
              onMouseDown={event => {
                event.preventDefault();
                accept(key);
              }}
            >
              {key}
            </li>
          ))}
        </ul>
      )}
      {props.error && (
        <div className="nbtrack-error" data-testid="filter-error" role="alert">
          <div>{props.error}</div>
          {props.errorPosition !== null && (
            <pre
              className="nbtrack-error-caret"
              data-testid="filter-error-caret"
            >
              {props.value}
              {'\n'}
              {' '.repeat(props.errorPosition)}^
            </pre>
          )}
        </div>
      )}
    </div>
  );
}
